// The goal form's conditions: add, remove and reorder rows. Without this script the form still
// works: spare rows, a "Remove" box and a "Position" number on each row.
(function () {
  "use strict";
  const form = document.getElementById("goal-form");
  if (!form) return;
  const rows = document.getElementById("condition-rows");
  const template = document.getElementById("condition-template");
  const total = form.querySelector("input[name='conditions-TOTAL_FORMS']");
  const addButton = document.getElementById("add-condition");

  const field = (row, name) => row.querySelector(`[name$='-${name}']`);
  const visibleRows = () => Array.from(rows.querySelectorAll("[data-condition-row]")).filter((row) => !row.hidden);

  // Positions follow the rows' order on screen; a blank spare row keeps none, so it is left out.
  function renumber() {
    let position = 0;
    visibleRows().forEach((row) => {
      const isBlank = field(row, "value").value === "" && !field(row, "ORDER").defaultValue;
      field(row, "ORDER").value = isBlank ? "" : String(++position);
    });
  }

  function enhance(row) {
    row.querySelectorAll("[data-no-js-control]").forEach((element) => { element.hidden = true; });
    row.querySelectorAll("[data-js-control]").forEach((element) => { element.hidden = false; });
  }

  rows.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const row = button.closest("[data-condition-row]");
    if (button.hasAttribute("data-remove")) {
      field(row, "DELETE").checked = true;
      row.hidden = true;
      const next = visibleRows()[0];
      (next ? field(next, "value") : addButton).focus();
    } else if (button.dataset.move === "up") {
      const previous = visibleRows()[visibleRows().indexOf(row) - 1];
      if (previous) previous.before(row);
      button.focus();
    } else if (button.dataset.move === "down") {
      const next = visibleRows()[visibleRows().indexOf(row) + 1];
      if (next) next.after(row);
      button.focus();
    }
    renumber();
  });

  addButton.addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const row = rows.lastElementChild;
    enhance(row);
    field(row, "value").focus();
  });

  rows.addEventListener("input", renumber);
  form.addEventListener("submit", renumber);
  form.querySelectorAll("[data-no-js-control]").forEach((element) => { element.hidden = true; });
  rows.querySelectorAll("[data-condition-row]").forEach(enhance);
  addButton.hidden = false;
  renumber();
})();
