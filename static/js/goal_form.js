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
    updateMoveButtons();
  }

  // A move that would do nothing is disabled, so it is announced as unavailable and cannot be
  // pressed: Move up on the first row, Move down on the last, both when there is one row. A
  // button that gets disabled while it has the focus hands it to the row's other one.
  function updateMoveButtons() {
    const shown = visibleRows();
    shown.forEach((row, index) => {
      const up = row.querySelector("[data-move='up']");
      const down = row.querySelector("[data-move='down']");
      const hadFocus = [up, down].find((button) => button === document.activeElement);
      up.disabled = index === 0;
      down.disabled = index === shown.length - 1;
      if (hadFocus && hadFocus.disabled) {
        const other = hadFocus === up ? down : up;
        (other.disabled ? field(row, "value") : other).focus();
      }
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
      // Gone for good: "Add a condition" must never bring it back as a new, blank row.
      delete row.dataset.spare;
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

  // With the script, a spare row stays out of sight until "Add a condition" asks for one.
  const isSpare = (row) =>
    !field(row, "ORDER").defaultValue && field(row, "value").value === "" && !row.querySelector(".is-invalid");

  addButton.addEventListener("click", () => {
    let row = rows.querySelector("[data-spare][hidden]");
    if (row) {
      row.hidden = false;
    } else {
      const index = Number(total.value);
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", String(index)));
      total.value = String(index + 1);
      row = rows.lastElementChild;
      enhance(row);
    }
    rows.append(row);
    field(row, "value").focus();
    renumber();
  });

  rows.addEventListener("input", renumber);
  form.addEventListener("submit", renumber);
  form.querySelectorAll("[data-no-js-control]").forEach((element) => { element.hidden = true; });
  rows.querySelectorAll("[data-condition-row]").forEach((row) => {
    enhance(row);
    if (isSpare(row)) {
      row.dataset.spare = "";
      row.hidden = true;
    }
  });
  if (visibleRows().length === 0) {
    const first = rows.querySelector("[data-spare]");
    if (first) first.hidden = false;
  }
  addButton.hidden = false;
  renumber();
})();

// The URL tester. htmx sends the conditions as they stand in the form along with the URL; on a new
// goal's page nothing else could be tested, so the tester is hidden there until a script runs.
(function () {
  "use strict";
  const tester = document.getElementById("url-tester");
  if (tester && window.htmx) tester.hidden = false;
})();
