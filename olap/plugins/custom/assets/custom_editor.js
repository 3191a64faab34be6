// CodeMirror editors for the Custom tab, bundled by scripts/vendor_assets.py with esbuild
// into olap/static/vendor/custom-editor.min.js.
// Each textarea.code-editor gets an editor that writes its text back into the textarea, so
// the form posts the same fields with or without this script. The script also lets HTMX
// swap error answers (422, 429, 5xx) into the Custom tab, where they explain the refusal.
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { sql, StandardSQL } from "@codemirror/lang-sql";
import { json } from "@codemirror/lang-json";

function labelText(textarea) {
  var label = document.querySelector('label[for="' + textarea.id + '"]');
  return label ? label.textContent.trim() : textarea.name;
}

function submitForm(textarea) {
  return function () {
    var form = textarea.form;
    var run = form && form.querySelector("#custom-run");
    if (run) run.click();
    return true;
  };
}

function attach(textarea) {
  if (textarea.getAttribute("data-editor-ready")) return;
  textarea.setAttribute("data-editor-ready", "true");
  var language = textarea.getAttribute("data-language") === "json" ? json() : sql({ dialect: StandardSQL });
  var view = new EditorView({
    doc: textarea.value,
    extensions: [
      keymap.of([{ key: "Mod-Enter", run: submitForm(textarea) }]),
      basicSetup,
      language,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": labelText(textarea) }),
      EditorView.updateListener.of(function (update) {
        if (update.docChanged) textarea.value = update.state.doc.toString();
      }),
    ],
  });
  view.dom.classList.add("code-editor-view");
  textarea.insertAdjacentElement("afterend", view.dom);
  textarea.hidden = true;
  var label = document.querySelector('label[for="' + textarea.id + '"]');
  if (label) label.addEventListener("click", function () { view.focus(); });
}

function attachAll(root) {
  root.querySelectorAll("textarea.code-editor").forEach(attach);
}

function swapErrorsIntoCustomTab(event) {
  var target = event.detail.target;
  if (!target || !target.closest || !target.closest(".custom-tab")) return;
  if (event.detail.xhr.status >= 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
}

if (!window.olapCustomEditor) {
  window.olapCustomEditor = { attachAll: attachAll };
  document.addEventListener("htmx:afterSettle", function (event) { attachAll(event.target); });
  document.addEventListener("htmx:beforeSwap", swapErrorsIntoCustomTab);
}
attachAll(document);
