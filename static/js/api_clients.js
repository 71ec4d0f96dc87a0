// The API clients page: a button that copies a new client's secret. Without this script, or where
// the browser has no Clipboard API (a page served over plain HTTP from another host), the button
// stays hidden and the secret is selected and copied by hand.
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
        () => { status.textContent = "Could not copy: select the secret and copy it."; },
      );
    });
  });
})();
