// Progressive enhancement only: a copy button beside each command. The page works without it.
document.querySelectorAll(".cmd-row").forEach(function (row) {
  var pre = row.querySelector("pre.cmd");
  if (!pre || !navigator.clipboard) return;
  var b = document.createElement("button");
  b.type = "button"; b.className = "copy"; b.textContent = "Copy";
  b.setAttribute("aria-label", "Copy the command");
  b.addEventListener("click", function () {
    navigator.clipboard.writeText(pre.textContent).then(function () { b.textContent = "Copied"; });
  });
  row.appendChild(b);  // beside the command, never over it
});
