// Quell's own script. Every page works without it; it only makes them quicker:
//   - reports the browser's time zone so times are shown in local time;
//   - switches the theme without a reload;
//   - keeps track of forms being filled in;
//   - live updates: listens to /live (server-sent events) and, when the incident on screen
//     (or, on lists, any incident) changes, fetches the page again and replaces the regions
//     that changed, leaving alone any region holding the focus or a form being filled in.
// It never evaluates text from the server as code and never builds markup from strings.
(function () {
  "use strict";

  var doc = document;
  var html = doc.documentElement;
  html.classList.add("js");

  function setCookie(name, value, maxAge) {
    var c = name + "=" + encodeURIComponent(value) + "; Path=/; SameSite=Lax; Max-Age=" + maxAge;
    if (location.protocol === "https:") {
      c += "; Secure";
    }
    doc.cookie = c;
  }

  function getCookie(name) {
    var parts = doc.cookie ? doc.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) {
        return decodeURIComponent(parts[i].slice(eq + 1));
      }
    }
    return "";
  }

  // Time zone: the server shows times in the zone this cookie names.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && getCookie("quell_tz") !== zone) {
      setCookie("quell_tz", zone, 31536000);
    }
  } catch (e) {
    // No Intl: times stay in UTC.
  }

  // Theme: system → dark → light → system, stored in a cookie the server reads, so the next
  // page is drawn in the right theme from its first byte.
  var themeWords = {
    "": ["Theme: system", "Theme: follows the system. Switch to dark."],
    dark: ["Theme: dark", "Theme: dark. Switch to light."],
    light: ["Theme: light", "Theme: light. Switch to follow the system."]
  };
  var themeNext = { "": "dark", dark: "light", light: "" };

  function applyTheme(form, theme) {
    if (theme) {
      html.setAttribute("data-theme", theme);
      setCookie("quell_theme", theme, 31536000);
    } else {
      html.removeAttribute("data-theme");
      setCookie("quell_theme", "", 0);
    }
    var button = form.querySelector("button");
    button.textContent = themeWords[theme][0];
    button.setAttribute("aria-label", themeWords[theme][1]);
    form.querySelector("input[name=theme]").value = themeNext[theme];
  }

  doc.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.id === "theme-form") {
      ev.preventDefault();
      applyTheme(form, form.querySelector("input[name=theme]").value);
      return;
    }
    delete form.dataset.dirty;
  });

  // Forms being filled in are "dirty" until submitted; live updates leave them alone.
  function markDirty(ev) {
    var form = ev.target.form;
    if (form && form.method === "post" && !form.classList.contains("no-dirty")) {
      form.dataset.dirty = "1";
    }
  }
  doc.addEventListener("input", markDirty);
  doc.addEventListener("change", markDirty);

  function busy(region) {
    return region.contains(doc.activeElement) && doc.activeElement !== region ||
      region.querySelector("form[data-dirty]") !== null;
  }

  // What the server last sent for each region, to tell a real change from the marks this
  // script and the person left on the page.
  var served = {};
  function remember(root) {
    var regions = root.matches && root.matches("[data-region][id]") ? [root] : root.querySelectorAll("[data-region][id]");
    for (var i = 0; i < regions.length; i++) {
      served[regions[i].id] = regions[i].innerHTML;
    }
  }
  remember(doc);

  // htmx swaps a region in by its id (hx-select picks the same id from the response): focus
  // the first field with a message, and remember what the server sent once it has settled.
  function swapped(ev) {
    var target = ev.detail && ev.detail.target;
    var region = target && target.id ? doc.getElementById(target.id) : null;
    return region && region.matches("[data-region]") ? region : null;
  }
  doc.addEventListener("htmx:afterSwap", function (ev) {
    var region = swapped(ev);
    var invalid = region && region.querySelector("[aria-invalid=true]");
    if (invalid) {
      invalid.focus();
    }
  });
  doc.addEventListener("htmx:afterSettle", function (ev) {
    var region = swapped(ev);
    if (region) {
      remember(region);
    }
  });

  // Live updates.
  var live = doc.body.getAttribute("data-live");
  var status = doc.getElementById("live-status");
  if (!live || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }

  function say(state, text) {
    if (status) {
      status.dataset.state = state;
      status.textContent = text;
    }
  }

  var timer = null;
  var stale = false;
  var fetching = false;

  function schedule(delay) {
    if (timer) {
      return;
    }
    timer = setTimeout(function () {
      timer = null;
      refresh();
    }, delay);
  }

  function keepOpen(oldRegion, newRegion) {
    var open = oldRegion.querySelectorAll("details[id]");
    for (var i = 0; i < open.length; i++) {
      var twin = newRegion.querySelector("#" + CSS.escape(open[i].id));
      if (twin) {
        if (open[i].open) {
          twin.setAttribute("open", "");
        } else {
          twin.removeAttribute("open");
        }
      }
    }
  }

  function refresh() {
    if (fetching) {
      stale = true;
      return;
    }
    fetching = true;
    stale = false;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) {
        if (resp.status === 404) {
          say("gone", "This is no longer available to you.");
          return null;
        }
        if (!resp.ok) {
          throw new Error("status " + resp.status);
        }
        return resp.text();
      })
      .then(function (text) {
        if (text === null) {
          return;
        }
        var fresh = new DOMParser().parseFromString(text, "text/html");
        var regions = doc.querySelectorAll("[data-region][id]");
        var skipped = 0;
        for (var i = 0; i < regions.length; i++) {
          var region = regions[i];
          var next = fresh.getElementById(region.id);
          if (!next) {
            continue;
          }
          if (next.innerHTML === served[region.id]) {
            continue;
          }
          if (busy(region)) {
            skipped++;
            continue;
          }
          keepOpen(region, next);
          var adopted = doc.importNode(next, true);
          region.replaceWith(adopted);
          served[adopted.id] = adopted.innerHTML;
          if (window.htmx) {
            window.htmx.process(adopted);
          }
        }
        var now = new Date();
        var hm = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
        if (skipped) {
          stale = true;
          say("partial", "Updated at " + hm + "; the part you are editing will update when you finish.");
        } else {
          say("on", "Live; updated at " + hm);
        }
      })
      .catch(function () {
        say("error", "Live update failed; it will retry.");
        stale = true;
      })
      .then(function () {
        fetching = false;
      });
  }

  // A region skipped while busy refreshes once the person is done with it.
  doc.addEventListener("focusout", function () {
    if (stale) {
      schedule(1500);
    }
  });
  doc.addEventListener("htmx:afterSettle", function () {
    if (stale) {
      schedule(1500);
    }
  });

  var source = new EventSource("/live");
  source.addEventListener("open", function () {
    say("on", "Live");
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      say("off", "Live updates stopped. Reload the page to resume.");
    } else {
      say("error", "Reconnecting…");
    }
  });
  source.addEventListener("change", function (ev) {
    var notice;
    try {
      notice = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    if (live === "alerts") {
      if (notice.alerts) {
        schedule(2000);
      }
    } else if (notice.incident && (live === "*" || notice.incident === live)) {
      schedule(live === "*" ? 1000 : 300);
    }
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
