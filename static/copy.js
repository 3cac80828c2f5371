// Progressive enhancement only: a copy button on each command. The page works without it.
document.querySelectorAll("pre.cmd").forEach(function (pre) {
  if (!navigator.clipboard) return;
  var b = document.createElement("button");
  b.type = "button"; b.className = "copy"; b.textContent = "copy";
  b.addEventListener("click", function () {
    navigator.clipboard.writeText(pre.innerText.replace(/\ncopy$/, "")).then(function () { b.textContent = "copied"; });
  });
  pre.appendChild(b);
});
