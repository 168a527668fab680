// Vínculo pipeline board: drag a deal card to another stage, or pick the stage in the card's "Move" menu.
// Both post to the deal's move URL with the card's version; the server answers with the re-rendered
// columns, or with a message (403 read-only, 409 changed by someone else, 422 invalid) and the card goes
// back where it was. Without this script the "Move" menu is a plain form. No dependencies.
(function () {
  "use strict";

  var dragged = null; // {card, parent, next}

  function boardEl() { return document.getElementById("board-columns"); }
  function messagesEl() { return document.getElementById("board-messages"); }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      var input = document.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }
  }

  function showMessage(html) {
    var box = messagesEl();
    if (box) box.innerHTML = html;
  }

  function escapeText(text) {
    var p = document.createElement("p");
    p.textContent = text;
    return '<div class="alert alert-error small" role="alert">' + p.outerHTML + "</div>";
  }

  // Post the move; `done(ok)` runs after the board or the message is in place.
  function move(card, stageId, done) {
    var board = boardEl();
    var data = new FormData();
    data.append("stage", stageId);
    data.append("version", card.dataset.version || "");
    data.append("board", board ? board.dataset.query || "" : "");
    card.classList.add("saving");
    fetch(card.dataset.moveUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    }).then(function (response) {
      return response.text().then(function (text) { return { ok: response.ok, text: text }; });
    }).then(function (result) {
      var doc = new DOMParser().parseFromString(result.text, "text/html");
      if (result.ok) {
        var fresh = doc.getElementById("board-columns");
        if (fresh && boardEl()) {
          boardEl().replaceWith(fresh);
          if (window.htmx) window.htmx.process(fresh);
        }
        var message = doc.getElementById("board-messages");
        showMessage(message ? message.innerHTML : "");
      } else {
        showMessage(doc.body.innerHTML.trim() || escapeText(board.dataset.errorText));
      }
      done(result.ok);
    }).catch(function () {
      showMessage(escapeText(board.dataset.errorText));
      done(false);
    });
  }

  function putBack(state) {
    state.card.classList.remove("saving");
    if (state.next && state.next.parentNode === state.parent) state.parent.insertBefore(state.card, state.next);
    else state.parent.appendChild(state.card);
  }

  function columnOf(element) { return element && element.closest ? element.closest(".board-column") : null; }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card[draggable=true]");
    if (!card) return;
    dragged = { card: card, parent: card.parentNode, next: card.nextSibling };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
    card.classList.add("dragging");
    if (boardEl()) boardEl().classList.add("is-dragging");
  });

  document.addEventListener("dragend", function () {
    document.querySelectorAll(".dragging, .drop-target").forEach(function (element) {
      element.classList.remove("dragging", "drop-target");
    });
    if (boardEl()) boardEl().classList.remove("is-dragging");
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column || column.dataset.stage === dragged.card.dataset.stage) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-target").forEach(function (other) {
      if (other !== column) other.classList.remove("drop-target");
    });
    column.classList.add("drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column || column.dataset.stage === dragged.card.dataset.stage) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    var state = dragged;
    dragged = null;
    var list = column.querySelector(".board-cards");
    var empty = list.querySelector(".board-empty");
    if (empty) empty.hidden = true;
    list.insertBefore(state.card, list.firstChild); // shown in its new column while the server decides
    move(state.card, column.dataset.stage, function (ok) {
      if (!ok) {
        if (empty) empty.hidden = false;
        putBack(state);
        var link = state.card.querySelector(".deal-name");
        if (link) link.focus();
      }
    });
  });

  // The "Move" menu of a card (the keyboard way): built from the board's <template>, the same request
  // as a drop, then focus on the card in its new column. Without this script the link opens the deal's page.
  function closeMenus(except) {
    document.querySelectorAll(".move-menu").forEach(function (menu) {
      if (menu === except) return;
      var toggle = menu.parentNode.querySelector("[data-move-menu]");
      if (toggle) toggle.setAttribute("aria-expanded", "false");
      menu.remove();
    });
  }

  function openMenu(toggle) {
    var card = toggle.closest(".deal-card");
    var template = document.getElementById("board-move-menu");
    if (!card || !template) return;
    closeMenus();
    var menu = template.content.firstElementChild.cloneNode(true);
    menu.querySelectorAll("[data-stage]").forEach(function (item) {
      if (item.dataset.stage === card.dataset.stage) item.remove();
    });
    toggle.parentNode.appendChild(menu);
    toggle.setAttribute("aria-expanded", "true");
    var first = menu.querySelector("[data-stage]");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-move-menu]");
    if (toggle) {
      event.preventDefault();
      if (toggle.getAttribute("aria-expanded") === "true") closeMenus();
      else openMenu(toggle);
      return;
    }
    var item = event.target.closest && event.target.closest(".move-menu [data-stage]");
    if (item) {
      var card = item.closest(".deal-card");
      closeMenus();
      move(card, item.dataset.stage, function (ok) {
        var target = document.getElementById(card.id);
        if (target) target.classList.remove("saving");
        var focus = target && target.querySelector(ok ? ".deal-name" : "[data-move-menu]");
        if (focus) focus.focus();
      });
      return;
    }
    if (!(event.target.closest && event.target.closest(".move-menu"))) closeMenus();
  });

  document.addEventListener("keydown", function (event) {
    var menu = event.target.closest && event.target.closest(".move-menu");
    if (!menu) return;
    var items = Array.from(menu.querySelectorAll("[data-stage]"));
    var index = items.indexOf(event.target);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = index + (event.key === "ArrowDown" ? 1 : -1);
      items[(next + items.length) % items.length].focus();
    } else if (event.key === "Escape" || event.key === "Tab") {
      var toggle = menu.parentNode.querySelector("[data-move-menu]");
      if (event.key === "Escape") event.preventDefault();
      closeMenus();
      if (toggle && event.key === "Escape") toggle.focus();
    }
  });
})();
