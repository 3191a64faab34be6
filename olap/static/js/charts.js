// Draws every .vega-chart element with vega-embed, on page load and after each HTMX swap.
// The AST interpreter lets charts render under a content-security policy without unsafe-eval.
(function () {
  function draw(root) {
    root.querySelectorAll(".vega-chart:not([data-drawn])").forEach(function (element) {
      element.setAttribute("data-drawn", "true");
      var spec = JSON.parse(element.getAttribute("data-spec"));
      vegaEmbed(element, spec, { actions: false, ast: true, renderer: "svg" }).catch(function (error) {
        element.textContent = "The chart could not be drawn: " + error.message;
        element.classList.add("error");
      });
    });
  }

  function markTab(event) {
    var button = event.target.closest("[role=tab]");
    if (!button) return;
    document.querySelectorAll("[role=tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", tab === button ? "true" : "false");
    });
    var hidden = document.querySelector("#filters input[name=tab]");
    if (hidden) hidden.value = button.getAttribute("data-tab");
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
  document.addEventListener("click", markTab);
})();
