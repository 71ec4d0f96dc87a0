// Copy buttons: a button[data-copy-from] copies the text of the element it names (a new API
// client's secret, the tracking snippet) and says so in the [data-copy-status] beside it. Without
// this script, or where the browser has no Clipboard API (a page served over plain HTTP from
// another host), the buttons stay hidden and the text is selected and copied by hand.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;

  document.querySelectorAll("button[data-copy-from]").forEach((button) => {
    const source = document.getElementById(button.dataset.copyFrom);
    const status = button.parentElement.querySelector("[data-copy-status]");
    if (!source || !status) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      // Emptied first, so that a second copy is announced again by the live region.
      status.textContent = "";
      navigator.clipboard.writeText(source.textContent.trim()).then(
        () => { status.textContent = "Copied"; },
        () => { status.textContent = "Could not copy: select the text and copy it."; },
      );
    });
  });
})();
