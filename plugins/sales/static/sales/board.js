// The deal board: drag a card to another column to move the deal (the "Move to" forms work without it).
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) { return; }
  var message = document.getElementById("board-message");
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var dragged = null;

  function show(text) { message.textContent = text; message.classList.toggle("d-none", !text); }
  function recount() {
    board.querySelectorAll(".sales-column").forEach(function (column) {
      column.querySelector(".sales-count").textContent = column.querySelectorAll(".sales-card").length.toLocaleString(document.documentElement.lang);
    });
  }
  function placeBefore(list, y) {
    var cards = Array.prototype.filter.call(list.querySelectorAll(".sales-card"), function (c) { return c !== dragged; });
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) { return { index: i, before: cards[i] }; }
    }
    return { index: cards.length, before: null };
  }
  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".sales-card");
    if (!card) { return; }
    dragged = card;
    card.classList.add("sales-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.dealId);
  });
  board.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("sales-dragging"); }
    board.querySelectorAll(".sales-over").forEach(function (c) { c.classList.remove("sales-over"); });
  });
  board.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".sales-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".sales-over").forEach(function (c) { if (c !== column) { c.classList.remove("sales-over"); } });
    column.classList.add("sales-over");
  });
  board.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".sales-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    column.classList.remove("sales-over");
    var card = dragged;
    var list = column.querySelector(".sales-cards");
    var spot = placeBefore(list, event.clientY);
    var body = new FormData();
    body.append("csrf_token", token);
    body.append("stage_id", column.dataset.stageId);
    body.append("position", String(spot.index));
    var reason = column.querySelector(".sales-drop-reason");
    if (reason) {
      if (!reason.value) { show(board.dataset.needReason); reason.focus(); return; }
      body.append("reason_id", reason.value);
    }
    var url = board.dataset.moveUrl.replace("/0/", "/" + card.dataset.dealId + "/");
    fetch(url, { method: "POST", body: body, headers: { "Accept": "application/json", "X-CSRFToken": token }, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (result) {
        if (!result.ok) { show(result.data.message || board.dataset.notMoved); return; }
        show("");
        list.insertBefore(card, spot.before);
        var select = card.querySelector("select[name=stage_id]");
        if (select) { select.value = column.dataset.stageId; }
        card.dataset.status = result.data.status;
        recount();
      })
      .catch(function () { show(board.dataset.notMoved); });
  });
})();
