/*
 * Prepares a page that carries embedded widget state so that its widgets
 * render and step with no kernel and no outside host. It is the first of the
 * scripts listed in `nb_ipywidgets_js` (_config.yml), so it runs before
 * require.js and the ipywidgets HTML manager, and before the theme's deferred
 * scripts.
 */
(function () {
  "use strict";

  // The theme's FontAwesome watches the DOM and swaps every <i class="fa ...">
  // for an <svg>, including the icons inside the Play widget; the Play view
  // then throws on each value change, which stops the jslink chain (the
  // slider moves, the pages do not). Theme icons are converted once at load.
  window.FontAwesomeConfig = Object.assign({}, window.FontAwesomeConfig, {
    observeMutations: false,
  });

  // The widget bundles find their icon fonts next to their own AMD modules
  // ("@jupyter-widgets/html-manager/dist/embed-amd", "@jupyter-widgets/base",
  // ...), which require.js would otherwise resolve relative to the page. Map
  // both module paths onto the vendored copy, where the fonts are. This must
  // exist before require.js loads.
  var here = document.currentScript && document.currentScript.src;
  var staticRoot = here ? here.replace(/js\/offline-widgets\.js(\?.*)?$/, "") : "_static/";
  var vendored = staticRoot + "vendor/html-manager";
  window.require = {
    paths: {
      "@jupyter-widgets/html-manager/dist": vendored,
      "@jupyter-widgets": vendored,
    },
  };

  // ipywidgets 8 typesets HTMLMath through the MathJax 2 API
  // (MathJax.Hub.Queue); the page loads MathJax 3. Forward those calls.
  function typesetLater(element) {
    var mj = window.MathJax;
    if (!mj || !mj.startup || !mj.startup.promise) {
      return;
    }
    mj.startup.promise = mj.startup.promise
      .then(function () {
        return mj.typesetPromise([element]);
      })
      .catch(function (err) {
        console.warn("MathJax could not typeset a widget:", err);
      });
  }
  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
          typesetLater(job[2]);
        }
      }
    },
  };
  // MathJax 3 replaces window.MathJax when it starts, so attach the shim to
  // whatever object is there when the widgets render (at the load event).
  function attachHub() {
    if (window.MathJax && !window.MathJax.Hub) {
      window.MathJax.Hub = hub;
    }
  }
  window.addEventListener("DOMContentLoaded", attachHub);
  window.addEventListener("load", attachHub);
})();
