// Vínculo: a multiple choice with search (core.forms.MultiChoice). The page has a <select multiple>; this turns
// it into a search box over a list of options (a combobox with a multi-selectable listbox) and the chosen
// items as tags with a remove button. The select stays in the form, hidden, and is what is submitted.
// Keyboard: type to filter, Up/Down to move, Enter to add or remove, Escape to close, Backspace on an
// empty box removes the last one. No dependencies, no inline script (the Content-Security-Policy).
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function fill(template, name) {
    return template.replace("%(name)s", name);
  }

  function make(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { el.setAttribute(key, attrs[key]); });
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function build(wrap) {
    if (wrap.dataset.enhanced) return;
    var select = wrap.querySelector("select");
    if (!select) return;
    wrap.dataset.enhanced = "yes";
    var labels = JSON.parse(wrap.dataset.labels || "{}");
    var id = select.id;
    var label = id ? document.querySelector('label[for="' + id + '"]') : null;
    var name = label ? label.textContent.trim() : "";

    var chosen = make("ul", { "class": "multichoice-chosen", "aria-label": name ? name + ": " + labels.chosen : labels.chosen });
    var input = make("input", {
      type: "text", id: id + "_search", "class": "multichoice-search", role: "combobox", autocomplete: "off",
      spellcheck: "false", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": id + "_listbox",
      placeholder: labels.search,
    });
    var hint = make("span", { id: id + "_hint", "class": "visually-hidden" }, labels.hint);
    var described = [select.getAttribute("aria-describedby"), hint.id].filter(Boolean).join(" ");
    input.setAttribute("aria-describedby", described);
    if (select.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
    var listbox = make("ul", { id: id + "_listbox", role: "listbox", "aria-multiselectable": "true", "class": "multichoice-options" });
    if (name) listbox.setAttribute("aria-label", name);
    listbox.hidden = true;
    var empty = make("p", { "class": "multichoice-empty" }, labels.empty);
    empty.hidden = true;
    var status = make("p", { "class": "visually-hidden", "aria-live": "polite" });

    var box = make("div", { "class": "multichoice-box" });
    box.append(input, listbox, empty);
    wrap.append(chosen, box, hint, status);
    if (select.required) {
      // A hidden control cannot show the browser's "fill this in": the box says it, the server checks it.
      input.setAttribute("aria-required", "true");
      select.required = false;
    }
    select.hidden = true;
    select.tabIndex = -1;
    if (label) label.htmlFor = input.id;

    var options = Array.from(select.options).filter(function (option) { return !option.disabled && option.value; });
    var items = options.map(function (option, index) {
      var item = make("li", { id: id + "_option_" + index, role: "option", "class": "multichoice-option" }, option.textContent.trim());
      item.dataset.index = String(index);
      listbox.append(item);
      return item;
    });
    var active = -1;

    function visibleItems() {
      return items.filter(function (item) { return !item.hidden; });
    }

    function setActive(item) {
      items.forEach(function (other) { other.classList.remove("active"); });
      if (!item) {
        active = -1;
        input.removeAttribute("aria-activedescendant");
        return;
      }
      active = Number(item.dataset.index);
      item.classList.add("active");
      input.setAttribute("aria-activedescendant", item.id);
      item.scrollIntoView({ block: "nearest" });
    }

    function open() {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
      filter();
    }

    function close() {
      listbox.hidden = true;
      empty.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(null);
    }

    // `typed`: the search text changed, so the first match is highlighted (Enter takes it).
    function filter(typed) {
      var words = fold(input.value.trim()).split(/\s+/).filter(Boolean);
      items.forEach(function (item) {
        var text = fold(item.textContent);
        item.hidden = !words.every(function (word) { return text.indexOf(word) !== -1; });
      });
      var shown = visibleItems();
      empty.hidden = listbox.hidden || shown.length > 0;
      listbox.classList.toggle("is-empty", !shown.length);
      if (typed || active === -1 || items[active].hidden) setActive(words.length ? shown[0] : null);
    }

    function render() {
      chosen.textContent = "";
      options.forEach(function (option, index) {
        items[index].setAttribute("aria-selected", option.selected ? "true" : "false");
        if (!option.selected) return;
        var tag = make("li", { "class": "multichoice-tag" });
        var text = option.textContent.trim();
        var remove = make("button", { type: "button", "class": "multichoice-remove", "aria-label": fill(labels.remove, text) }, "×");
        remove.dataset.index = String(index);
        tag.append(make("span", {}, text), remove);
        chosen.append(tag);
      });
      if (!chosen.children.length) chosen.append(make("li", { "class": "multichoice-none" }, labels.none));
    }

    function toggle(index) {
      var option = options[index];
      option.selected = !option.selected;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      render();
      status.textContent = fill(option.selected ? labels.added : labels.removed, option.textContent.trim());
    }

    input.addEventListener("focus", open);
    input.addEventListener("input", function () {
      if (listbox.hidden) open();
      filter(true);
    });
    input.addEventListener("keydown", function (event) {
      var shown = visibleItems();
      var position = shown.indexOf(items[active]);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (listbox.hidden) open();
        shown = visibleItems();
        if (!shown.length) return;
        var next = event.key === "ArrowDown" ? Math.min(position + 1, shown.length - 1) : Math.max(position - 1, 0);
        setActive(shown[position === -1 ? 0 : next]);
      } else if (event.key === "Enter") {
        if (listbox.hidden || active === -1) return;  // nothing highlighted: Enter submits the form
        event.preventDefault();
        toggle(active);
        if (input.value) {
          // Chosen: the search starts again over every option, the one just chosen still highlighted.
          input.value = "";
          filter();
        }
      } else if (event.key === "Escape") {
        if (!listbox.hidden) {
          event.preventDefault();
          close();
        } else if (input.value) {
          input.value = "";
        }
      } else if (event.key === "Backspace" && !input.value) {
        var last = options.map(function (option) { return option.selected; }).lastIndexOf(true);
        if (last !== -1) toggle(last);
      } else if (event.key === "Tab") {
        close();
      }
    });
    // A click on an option must not take the focus from the search box.
    listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    listbox.addEventListener("click", function (event) {
      var item = event.target.closest("[role=option]");
      if (!item) return;
      setActive(item);
      toggle(Number(item.dataset.index));
      input.focus();
    });
    chosen.addEventListener("click", function (event) {
      var remove = event.target.closest(".multichoice-remove");
      if (!remove) return;
      toggle(Number(remove.dataset.index));
      input.focus();
    });
    wrap.addEventListener("focusout", function (event) {
      if (!wrap.contains(event.relatedTarget)) close();
    });
    render();
  }

  function enhance(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches("[data-multichoice]")) build(root);
    root.querySelectorAll("[data-multichoice]").forEach(build);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  // A fragment htmx brings in (an activity's contacts, reloaded when its account changes).
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
