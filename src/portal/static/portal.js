// Shows the most a voucher may pay of a contract as the user types the
// contract amount (the server works it out; the page works without this).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var input = document.getElementById("contract_amount");
  var out = document.getElementById("share-limit");
  if (!input || !out || !out.dataset.url) return;
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = out.dataset.url + "?contract_amount=" + encodeURIComponent(input.value);
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (text) { if (text) out.textContent = text; })
        .catch(function () {});
    }, 250);
  });
});

// A link of a refused form's error summary puts the focus in its field (a
// link alone would only scroll there).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest(".error-summary a");
  if (!link) return;
  var field = document.getElementById(link.getAttribute("href").slice(1));
  if (!field || typeof field.focus !== "function") return;
  event.preventDefault();
  field.focus();
  field.scrollIntoView({ block: "center" });
});
