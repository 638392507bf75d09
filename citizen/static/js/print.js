/* Buttons marked data-action="print" open the browser's print dialog (no inline handlers: the CSP forbids them). */
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-action=print]");
  if (button) window.print();
});
