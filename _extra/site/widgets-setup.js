// Runs between RequireJS and the ipywidgets HTML manager (vendor/jupyter-widgets/embed-amd.js)
// on pages with saved widget state. Two fixes for serving the manager from the site itself:
(function () {
  "use strict";
  // 1. The manager finds its bundled fonts next to the AMD module's URL, which RequireJS
  //    derives from the module name: point the @jupyter-widgets names at vendor/.
  var here = document.currentScript && document.currentScript.src;
  if (here && window.require && window.require.config) {
    var vendor = new URL("../vendor/jupyter-widgets", here).href;
    window.require.config({
      paths: { "@jupyter-widgets/html-manager/dist": vendor, "@jupyter-widgets": vendor },
    });
  }
  // 2. ipywidgets typesets widget labels with the MathJax 2 API (MathJax.Hub.Queue);
  //    the site runs MathJax 3. Give every MathJax object a Hub.Queue that calls MathJax 3.
  var hub = {
    Queue: function (job) {
      var element = Array.isArray(job) ? job[2] : null;
      var mj = window.MathJax;
      if (!element || !mj || !mj.startup || !mj.startup.promise) return;
      mj.startup.promise.then(function () {
        return mj.typesetPromise ? mj.typesetPromise([element]) : null;
      });
    },
  };
  var current = window.MathJax;
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    enumerable: true,
    get: function () { return current; },
    set: function (value) {
      if (value && typeof value === "object" && !value.Hub) value.Hub = hub;
      current = value;
    },
  });
  window.MathJax = current;
})();
