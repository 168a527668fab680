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

  // The "Move" menu of a card: the same request, then focus on the card in its new column.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-board-move]")) return;
    var card = form.closest(".deal-card");
    var submitter = event.submitter;
    if (!card || !submitter || !submitter.value) return;
    event.preventDefault();
    var menu = form.closest("details");
    if (menu) menu.removeAttribute("open");
    move(card, submitter.value, function (ok) {
      var target = document.getElementById(card.id);
      var link = target && target.querySelector(ok ? ".deal-name" : "summary");
      if (target) target.classList.remove("saving");
      if (link) link.focus();
    });
  });
})();
