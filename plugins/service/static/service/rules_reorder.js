// Drag and drop for the assignment rules table (#rules-table): drop a row where it should be tried
// and its move form is sent with the place (`to`, 1 = first). The arrow buttons stay for the
// keyboard and for browsers without drag and drop; without this script nothing changes.
(function () {
  "use strict";
  var body = document.querySelector("#rules-table tbody[data-reorder]");
  if (!body) { return; }
  var dragged = null;
  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr[data-rule]")); }
  rows().forEach(function (row) {
    row.setAttribute("draggable", "true");
    row.addEventListener("dragstart", function (event) {
      dragged = row;
      row.classList.add("opacity-50");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.getAttribute("data-rule"));
    });
    row.addEventListener("dragend", function () {
      row.classList.remove("opacity-50");
      rows().forEach(function (r) { r.classList.remove("table-active"); });
    });
    row.addEventListener("dragover", function (event) {
      if (!dragged || dragged === row) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      rows().forEach(function (r) { r.classList.toggle("table-active", r === row); });
    });
    row.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!dragged || dragged === row) { return; }
      var place = rows().indexOf(row) + 1;
      var form = document.getElementById(dragged.getAttribute("data-move-form"));
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "to";
      input.value = String(place);
      form.appendChild(input);
      form.submit();
    });
  });
}());
