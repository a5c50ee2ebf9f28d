"""Fetch the web book's JavaScript from the npm registry and vendor it into assets/vendor.

The built book must load nothing from an outside host, so require.js, the
ipywidgets HTML manager (which renders the embedded widgets without a kernel)
and MathJax 3 are served from the book itself. Each package is pinned to a
version and to the integrity hash the registry published for it; a tarball
whose hash differs is refused. Each package's licence is kept beside its files.

Usage: python scripts/vendor_assets.py [--force]
Does nothing for a package whose pinned version is already vendored.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "assets" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str  # npm name
    version: str
    integrity: str  # the registry's sha512, as `npm view NAME@VERSION dist.integrity` prints it
    folder: str  # folder under assets/vendor
    strip: str  # folder inside the tarball's package/ that becomes the vendored folder's root
    keep: tuple[str, ...]  # globs, under `strip`, of the files and folders to copy
    licence: str  # file in the tarball with the licence, or "" when it is in the kept files' headers


PACKAGES = (
    Package(
        "requirejs",
        "2.3.8",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        "requirejs",
        "",
        ("require.js",),
        "",  # MIT; the licence header is at the top of require.js
    ),
    Package(
        "@jupyter-widgets/html-manager",
        "1.0.15",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        "html-manager",
        "dist",
        # The AMD bundle and the icon fonts its CSS refers to (the Play button's icons).
        ("embed-amd.js", "embed.js.LICENSE.txt", "*.woff", "*.woff2", "*.ttf", "*.eot", "*.svg"),
        "",  # BSD-3-Clause; written below from the package's licence field and notices file
    ),
    Package(
        "mathjax",
        "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "mathjax",
        "es5",
        # The TeX-to-CommonHTML component and what it loads on demand (fonts, TeX
        # extensions, the menu and its accessibility options).
        ("tex-chtml.js", "output/chtml/fonts", "input/tex/extensions", "ui", "a11y", "adaptors", "sre"),
        "LICENSE",
    ),
)


def integrity_of(tarball: Path) -> str:
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def fetch(pkg: Package, workdir: Path) -> Path:
    """Download the package's tarball with `npm pack` and verify its hash."""
    spec = f"{pkg.name}@{pkg.version}"
    if shutil.which("npm") is None:
        sys.exit(f"npm is needed to fetch {spec} (apt-get install npm, or install Node.js)")
    result = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        capture_output=True,
        text=True,
        cwd=workdir,
    )
    if result.returncode != 0:
        sys.exit(f"npm pack {spec} failed:\n{result.stderr.strip()}")
    filename = json.loads(result.stdout)[0]["filename"]
    tarball = workdir / filename
    got = integrity_of(tarball)
    if got != pkg.integrity:
        sys.exit(f"{spec}: integrity mismatch\n  pinned {pkg.integrity}\n  got    {got}")
    return tarball


def vendor(pkg: Package, force: bool) -> None:
    target = VENDOR / pkg.folder
    stamp = target / ".version"
    wanted = f"{pkg.name}@{pkg.version} {pkg.integrity}\n"
    if not force and stamp.is_file() and stamp.read_text() == wanted:
        print(f"{pkg.name}@{pkg.version}: already vendored")
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        tarball = fetch(pkg, workdir)
        with tarfile.open(tarball) as tar:
            tar.extractall(workdir / "x", filter="data")
        package = workdir / "x" / "package"
        root = package / pkg.strip
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for pattern in pkg.keep:
            matches = sorted(root.glob(pattern))
            if not matches:
                sys.exit(f"{pkg.name}@{pkg.version}: nothing matches {pattern!r}")
            for path in matches:
                dest = target / path.relative_to(root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():
                    shutil.copytree(path, dest)
                else:
                    shutil.copy2(path, dest)
        if pkg.licence:
            shutil.copy2(package / pkg.licence, target / "LICENSE")
        meta = json.loads((package / "package.json").read_text())
        (target / "SOURCE.txt").write_text(
            f"{pkg.name} {pkg.version}, from the npm registry (integrity {pkg.integrity}).\n"
            f"Licence: {meta.get('license', 'see LICENSE')}.\n"
            f"Homepage: {meta.get('homepage', '')}\n"
        )
        stamp.write_text(wanted)
    print(f"{pkg.name}@{pkg.version}: vendored into {target.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch again even when already vendored")
    args = parser.parse_args()
    for pkg in PACKAGES:
        vendor(pkg, args.force)


if __name__ == "__main__":
    main()
