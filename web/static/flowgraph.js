// Zoom and pan for eventlens' flow graphs (every svg[data-flowgraph]), by changing the SVG's
// viewBox. All listeners sit on the document, so graphs that htmx swaps in later work as well.
// Without this script the graph is drawn whole at 1:1 and scrolls in its frame when wider; the
// zoom buttons stay hidden by app.css. With it the graph fills its frame at 1:1 (app.css,
// preserveAspectRatio slice) and a wider one pans.
(function () {
  "use strict";
  document.documentElement.classList.add("flowgraph-js");

  var MAX_ZOOM = 20, MIN_ZOOM = 0.5, DRAG_SLOP = 4;

  function parse(s) { return s.trim().split(/[\s,]+/).map(Number); }
  function view(svg) { return parse(svg.getAttribute("viewBox")); }
  function home(svg) { return parse(svg.getAttribute("data-viewbox") || svg.getAttribute("viewBox")); }
  function setView(svg, b) {
    svg.setAttribute("viewBox", b.map(function (n) { return Math.round(n * 100) / 100; }).join(" "));
  }

  // toGraph converts a point on the screen into graph units.
  function toGraph(svg, clientX, clientY) {
    var p = svg.createSVGPoint();
    p.x = clientX;
    p.y = clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }

  // zoom scales the view by factor (above 1 zooms in), keeping point (px, py) where it is.
  function zoom(svg, factor, px, py) {
    var b = view(svg), h = home(svg);
    var w = Math.min(Math.max(b[2] / factor, h[2] / MAX_ZOOM), Math.max(h[2] / MIN_ZOOM, fit(svg)[2]));
    var k = w / b[2];
    setView(svg, [px - (px - b[0]) * k, py - (py - b[1]) * k, b[2] * k, b[3] * k]);
  }

  // fit is the view that shows the whole graph in the SVG's box: the home view when the graph
  // fits its frame, a smaller scale when it is wider.
  function fit(svg) {
    var h = home(svg), r = svg.getBoundingClientRect();
    if (!r.width || !r.height) return h;
    var k = Math.max(h[2] / r.width, h[3] / r.height);
    if (k < 1.01) return h; // the box is the graph's own size, give or take rounding
    var w = r.width * k, ht = r.height * k;
    return [h[0] + (h[2] - w) / 2, h[1] + (h[3] - ht) / 2, w, ht];
  }

  function zoomCentre(svg, factor) {
    var b = view(svg);
    zoom(svg, factor, b[0] + b[2] / 2, b[1] + b[3] / 2);
  }

  // Ctrl (or ⌘) and the wheel zoom, as does a pinch on a touchpad, which browsers send as
  // such; the wheel alone scrolls the page, which a graph taller than the window would trap.
  document.addEventListener("wheel", function (e) {
    var svg = (e.ctrlKey || e.metaKey) && e.target.closest && e.target.closest("svg[data-flowgraph]");
    if (!svg) return;
    e.preventDefault();
    var dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    var p = toGraph(svg, e.clientX, e.clientY);
    zoom(svg, Math.exp(-dy * 0.002), p.x, p.y);
  }, { passive: false });

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-flowgraph-zoom]");
    if (!button) return;
    var figure = button.closest(".flowgraph");
    var svg = figure && figure.querySelector("svg[data-flowgraph]");
    if (!svg) return;
    switch (button.getAttribute("data-flowgraph-zoom")) {
      case "in": zoomCentre(svg, 1.25); break;
      case "out": zoomCentre(svg, 0.8); break;
      default: setView(svg, fit(svg));
    }
  });

  // A drag pans; it becomes a drag only after a few pixels, so a click still follows a link.
  var drag = null;
  document.addEventListener("pointerdown", function (e) {
    var svg = e.button === 0 && e.target.closest && e.target.closest("svg[data-flowgraph]");
    if (!svg) return;
    drag = { svg: svg, id: e.pointerId, x: e.clientX, y: e.clientY, view: view(svg),
      scale: svg.getScreenCTM().a, moved: false };
  });
  document.addEventListener("pointermove", function (e) {
    if (!drag || e.pointerId !== drag.id) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved) {
      if (Math.abs(dx) < DRAG_SLOP && Math.abs(dy) < DRAG_SLOP) return;
      drag.moved = true;
      drag.svg.setPointerCapture(e.pointerId);
      drag.svg.classList.add("fg-dragging");
    }
    var b = drag.view;
    setView(drag.svg, [b[0] - dx / drag.scale, b[1] - dy / drag.scale, b[2], b[3]]);
  });
  function endDrag(e) {
    if (!drag || e.pointerId !== drag.id) return;
    drag.svg.classList.remove("fg-dragging");
    if (drag.moved) {
      // Swallow the click that ends a drag, so dropping on a node does not open it. The
      // listener goes with that click, or after a moment when the browser sends none.
      var swallow = function (c) {
        c.preventDefault();
        c.stopPropagation();
        document.removeEventListener("click", swallow, true);
      };
      document.addEventListener("click", swallow, true);
      setTimeout(function () { document.removeEventListener("click", swallow, true); }, 100);
    }
    drag = null;
  }
  document.addEventListener("pointerup", endDrag);
  document.addEventListener("pointercancel", endDrag);
})();
