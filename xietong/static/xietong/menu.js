// The phone menu: under 640 px (app.css) the navigation and the user's links fold behind one
// button. Without this script nothing is folded, so every link stays reachable.
(function () {
  "use strict";
  var button = document.getElementById("menu-toggle");
  if (!button) {
    return;
  }
  var header = button.closest("header");
  header.classList.add("has-menu");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = header.classList.toggle("menu-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
