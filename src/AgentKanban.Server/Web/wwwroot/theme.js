// Runs before the page paints: applies the theme the user chose last time (dark unless they picked light).
(function () {
  var theme = 'dark';
  try {
    if (localStorage.getItem('ak-theme') === 'light') { theme = 'light'; }
  } catch (e) {
    // Storage may be disabled; the default theme still works.
  }
  document.documentElement.setAttribute('data-theme', theme);
})();
