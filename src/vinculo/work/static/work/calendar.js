// Vínculo calendar: drag a task you may change to another day to move its next action.
(function () {
  "use strict";
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("[data-reschedule]");
    if (!item) return;
    dragged = item;
    event.dataTransfer.setData("text/plain", item.dataset.reschedule);
  });
  document.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest("[data-day]")) event.preventDefault();
  });
  document.addEventListener("drop", function (event) {
    var cell = event.target.closest("[data-day]");
    if (!dragged || !cell) return;
    event.preventDefault();
    var item = dragged;
    dragged = null;
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    var body = new URLSearchParams({ day: cell.dataset.day });
    fetch(item.dataset.reschedule, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" },
    }).then(function (response) {
      if (response.ok) cell.querySelector("ul").appendChild(item);
    });
  });
})();
