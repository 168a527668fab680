// Vínculo: keyboard shortcuts and small behaviours htmx does not cover. No dependencies.
(function () {
  "use strict";

  function isTyping(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function searchBox() { return document.getElementById("global-search"); }

  // The options of a result list (global search dropdown or a record chooser).
  function options(listbox) {
    return Array.from(listbox.querySelectorAll("a[href], button[data-choice]"));
  }

  function listboxFor(input) {
    var id = input.getAttribute("aria-controls");
    return id ? document.getElementById(id) : null;
  }

  function closeListbox(listbox) {
    if (!listbox) return;
    listbox.innerHTML = "";
    var input = document.querySelector('[aria-controls="' + listbox.id + '"]');
    if (input) input.setAttribute("aria-expanded", "false");
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    // Ctrl+K / Cmd+K anywhere, or "/" when not typing: jump to global search.
    if (((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") ||
        (event.key === "/" && !isTyping(target) && !event.ctrlKey && !event.metaKey && !event.altKey)) {
      var box = searchBox();
      if (box) {
        event.preventDefault();
        box.focus();
        box.select();
      }
      return;
    }

    // Enter in a chooser's search box must not submit the whole record form.
    if (event.key === "Enter" && target.closest && target.closest("[data-chooser]") && target.getAttribute("role") === "combobox") {
      event.preventDefault();
      return;
    }

    // Arrow keys move between the input and its results; Escape closes them.
    var input = target.closest && target.closest("[aria-controls][role=combobox]");
    var listbox = input ? listboxFor(input) : target.closest && target.closest("[data-listbox]");
    if (!listbox) return;
    var items = options(listbox);
    var index = items.indexOf(target);
    if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      items[Math.min(index + 1, items.length - 1)].focus();
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault();
      if (index <= 0) {
        var owner = document.querySelector('[aria-controls="' + listbox.id + '"]');
        if (owner) owner.focus();
      } else {
        items[index - 1].focus();
      }
    } else if (event.key === "Escape") {
      var field = document.querySelector('[aria-controls="' + listbox.id + '"]');
      closeListbox(listbox);
      if (field) field.focus();
    }
  });

  // Picking a record in a chooser fills the hidden id and the visible name.
  document.addEventListener("click", function (event) {
    var choice = event.target.closest("[data-choice]");
    if (choice) {
      var chooser = choice.closest("[data-chooser]");
      chooser.querySelector("[data-chooser-value]").value = choice.dataset.choice;
      var text = chooser.querySelector("[role=combobox]");
      text.value = choice.dataset.label;
      closeListbox(chooser.querySelector("[data-listbox]"));
      text.focus();
      return;
    }
    // Clicking elsewhere closes open result lists and menus.
    document.querySelectorAll("[data-listbox]").forEach(function (listbox) {
      if (!listbox.parentElement.contains(event.target)) closeListbox(listbox);
    });
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      // A tap on the menu element itself is a tap on the dimmed page behind the menu panel (its ::before).
      if (!menu.contains(event.target) || event.target === menu) menu.removeAttribute("open");
    });
  });

  // Clearing a chooser's text clears its value, so "no parent" can be saved.
  document.addEventListener("input", function (event) {
    var chooser = event.target.closest && event.target.closest("[data-chooser]");
    if (chooser && event.target.getAttribute("role") === "combobox" && !event.target.value.trim()) {
      chooser.querySelector("[data-chooser-value]").value = "";
      closeListbox(chooser.querySelector("[data-listbox]"));
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // A form with data-confirm (a delete, sending a quote) and an htmx request with hx-confirm ask in the page's
  // own dialog (base.html), not the browser's confirm(): its accept button repeats the action's own label.
  var confirming = null;

  function confirmDialog() {
    var dialog = document.getElementById("confirm-dialog");
    return dialog && typeof dialog.showModal === "function" ? dialog : null;
  }

  function askToConfirm(dialog, message, button, onAccept) {
    var accept = dialog.querySelector("[data-confirm-accept]");
    dialog.querySelector("[data-confirm-message]").textContent = message;
    accept.textContent = (button && button.textContent.trim()) || accept.dataset.defaultLabel;
    accept.classList.toggle("danger", !!(button && button.classList.contains("danger")));
    accept.classList.toggle("primary", !(button && button.classList.contains("danger")));
    confirming = { onAccept: onAccept, returnTo: button || document.activeElement };
    dialog.showModal();
    dialog.querySelector("[data-confirm-cancel]").focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.dataset && form.dataset.confirm;
    if (!message) return;
    if (form.dataset.confirmed === "yes") {
      delete form.dataset.confirmed;
      return;
    }
    var dialog = confirmDialog();
    if (!dialog) return;  // no <dialog> support: the action goes ahead; a delete can still be undone
    event.preventDefault();
    var submitter = event.submitter || form.querySelector("[type=submit]");
    askToConfirm(dialog, message, submitter, function () {
      form.dataset.confirmed = "yes";
      if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
    });
  });

  document.addEventListener("htmx:confirm", function (event) {
    var dialog = confirmDialog();
    if (!event.detail.question || !dialog) return;
    event.preventDefault();
    askToConfirm(dialog, event.detail.question, event.detail.elt, function () { event.detail.issueRequest(true); });
  });

  document.addEventListener("click", function (event) {
    var dialog = confirmDialog();
    if (!dialog || !dialog.open || !event.target.closest) return;
    if (event.target.closest("[data-confirm-accept]")) {
      var accepted = confirming;
      confirming = null;
      dialog.close();
      if (accepted) accepted.onAccept();
    } else if (event.target.closest("[data-confirm-cancel]")) {
      dialog.close();
    }
  });

  document.addEventListener("close", function (event) {
    if (event.target.id !== "confirm-dialog") return;
    // Cancelled (button or Escape): back to the button that asked.
    if (confirming && confirming.returnTo && confirming.returnTo.focus) confirming.returnTo.focus();
    confirming = null;
  }, true);

  // A table wider than its box scrolls sideways: keyboard users must be able to focus it to scroll it.
  function focusableScrollers(root) {
    var wraps = Array.from(root.querySelectorAll ? root.querySelectorAll(".table-wrap") : []);
    wraps.forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) wrap.setAttribute("tabindex", "0");
      else if (wrap.getAttribute("tabindex") === "0") wrap.removeAttribute("tabindex");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { focusableScrollers(document); });
  document.addEventListener("htmx:load", function (event) { focusableScrollers(event.target.parentElement || document); });
  window.addEventListener("resize", function () { focusableScrollers(document); });

  // After a refused save, take keyboard and screen-reader users straight to the list of errors.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });

  // A tree's rows are indented by their level: data-depth sets --depth (a style="" attribute would be refused
  // by the Content-Security-Policy; setting the property from a script is allowed).
  function applyDepths(root) {
    var rows = Array.from(root.querySelectorAll("[data-depth]"));
    if (root.matches && root.matches("[data-depth]")) rows.push(root);
    rows.forEach(function (el) { el.style.setProperty("--depth", el.dataset.depth); });
  }
  document.addEventListener("DOMContentLoaded", function () { applyDepths(document); });
  // Content htmx brings in later (a list's fragment).
  document.addEventListener("htmx:load", function (event) { applyDepths(event.target); });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var input = target && target.id && document.querySelector('[aria-controls="' + target.id + '"]');
    if (input) input.setAttribute("aria-expanded", target.innerHTML.trim() ? "true" : "false");
  });
})();
