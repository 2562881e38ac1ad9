/* Live meeting room screens: host console, phone, projector (no build step).
 *
 * The server is the only source of truth: every message from it carries the whole public
 * snapshot of the room, which replaces what the page shows. Clocks are computed from the
 * server's timestamps: offset = server_now - local time when the snapshot arrived.
 * Commands go out as {cmd, args, version, ref}; host commands carry the version the
 * screen last saw, so a command from a stale tab is refused by the server.
 */
(function () {
  "use strict";
  var configNode = document.getElementById("live-config");
  if (!configNode) return;
  var cfg = JSON.parse(configNode.textContent);
  var S = cfg.strings;
  var root = document.querySelector("[data-live-role]");
  var role = cfg.role;
  var state = null;
  var offset = 0;
  var ws = null;
  var retries = 0;
  var refs = 0;
  var ballotKey = "xietong-live-ballot-" + cfg.meeting_id + "-" + (cfg.me || "");
  var HOST_VERSIONED = {
    room_open: 1, item_start: 1, item_next: 1, meeting_end: 1, floor_grant: 1,
    floor_reorder: 1, speech_end: 1, vote_open: 1, vote_close: 1
  };

  function $(sel) { return root.querySelector(sel); }
  function all(sel) { return root.querySelectorAll(sel); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function fmt(template, params) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return params[key]; });
  }
  function setText(sel, text) {
    all(sel).forEach(function (node) { node.textContent = text; });
  }
  function show(sel, visible) {
    all(sel).forEach(function (node) { node.hidden = !visible; });
  }
  function ts(value) { return value ? Date.parse(value) : null; }
  function serverNow() { return Date.now() + offset; }
  function clock(seconds) {
    var negative = seconds < 0;
    seconds = Math.floor(Math.abs(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var text = (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (s < 10 ? "0" : "") + s;
    return (negative ? "-" : "") + text;
  }

  // ---- connection -------------------------------------------------------------------------

  function wsUrl() {
    var url = cfg.ws_url;
    if (!url) {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      url = scheme + location.hostname + ":" + cfg.ws_port + cfg.ws_path;
    }
    if (cfg.token) url += "?t=" + encodeURIComponent(cfg.token);
    return url;
  }

  function status(text, ok) {
    var node = document.getElementById("live-status");
    if (!node) return;
    node.textContent = text;
    node.className = "badge " + (ok ? "ok" : "warn");
  }

  function connect() {
    status(retries ? S.reconnecting : S.connecting, false);
    ws = new WebSocket(wsUrl());
    ws.onopen = function () { retries = 0; status(S.connected, true); };
    ws.onmessage = function (event) { receive(JSON.parse(event.data)); };
    ws.onclose = function () {
      ws = null;
      retries += 1;
      status(S.reconnecting, false);
      root.setAttribute("data-connected", "0");
      setTimeout(connect, Math.min(10000, 300 * Math.pow(2, Math.min(retries, 6))));
    };
  }

  function send(cmd, args) {
    if (!ws || ws.readyState !== WebSocket.OPEN || !state) return;
    refs += 1;
    var message = { cmd: cmd, args: args || {}, ref: refs };
    if (HOST_VERSIONED[cmd]) message.version = state.version;
    ws.send(JSON.stringify(message));
  }

  function showError(text) {
    var node = document.getElementById("live-error");
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  function receive(message) {
    if (message.type === "state") {
      if (state && message.state.version < state.version) return; // an older broadcast, late
      var same = state && message.state.version === state.version;
      state = message.state;
      offset = Date.parse(state.server_now) - Date.now();
      // The same version again (the snapshot on connect, two changes committed close together):
      // nothing to redraw, and redrawing would replace a button under the user's finger.
      root.setAttribute("data-version", String(state.version));
      root.setAttribute("data-connected", "1");
      if (!same) render();
    } else if (message.type === "error") {
      showError(message.error);
    } else if (message.type === "ok") {
      showError("");
      if (message.ballot) {
        try { sessionStorage.setItem(ballotKey, JSON.stringify(message.ballot)); } catch (e) { /* private mode */ }
        renderBallot();
      }
    }
  }

  // ---- rendering --------------------------------------------------------------------------

  function items() { return state.items || []; }
  function currentId() { return state.current_item ? state.current_item.id : null; }
  function currentItem() {
    var id = currentId();
    for (var i = 0; i < items().length; i++) if (items()[i].id === id) return items()[i];
    return null;
  }
  function statusLabel(status) { return S["status_" + status] || status; }

  // ---- the transition tables ----------------------------------------------------------------
  // cfg.transitions: table ("room", "item", "speech", "vote") → step → {states, role}, the
  // server's own tables. A screen offers a step when the room's state and the object's state
  // allow it and the viewer holds its role; the server refuses every other.
  function isHost() { return cfg.me != null && cfg.me === state.meeting.host_id; }
  function holds(role, obj) {
    if (cfg.me == null) return false; // the projector
    if (role === "host") return isHost();
    if (role === "recorder") return isHost() || cfg.me === state.meeting.recorder_id;
    if (role === "speaker") return isHost() || (!!obj && obj.person_id === cfg.me);
    if (role === "voter") return !!mine(state.signed_in);
    return true; // a participant: the server checks the seat
  }
  function allows(table, step, status) {
    var s = cfg.transitions[table][step];
    return !!s && s.states.indexOf(status) >= 0;
  }
  // May the viewer take ``step`` now: the room accepts it, and (with ``table``) ``obj`` is in
  // a state of that table that allows it.
  function may(step, table, obj) {
    var room = cfg.transitions.room[step];
    if (!room || !allows("room", step, state.meeting.status) || !holds(room.role, obj)) return false;
    if (!table) return true;
    return !!obj && allows(table, step, obj.status) && holds(cfg.transitions[table][step].role, obj);
  }
  function render() {
    renderMeeting();
    renderAgenda();
    renderSpeech();
    renderQueue();
    renderVote();
    renderSignedIn();
    if (role === "phone") renderPhone();
    show("[data-field=projector-qr]", !state.meeting.ended);
    tick();
  }

  function renderMeeting() {
    var m = state.meeting || {};
    setText("[data-field=cap]", m.cap_minutes ? m.cap_minutes + " " + S.min : "—");
    setText("[data-field=cap-clause]", m.cap_clause || "");
    var item = currentItem();
    setText("[data-field=item-title]", item ? item.title : (m.ended ? S.ended : S.no_item));
    setText("[data-field=item-budget]", item ? item.budget_minutes + " " + S.min : "—");
    if (role === "host") {
      show("[data-cmd=room_open]", may("room_open"));
      show("[data-cmd=meeting_end]", may("meeting_end"));
      show("[data-cmd=item_next]", may("item_next"));
      // Deferring is "next item" with a reason, for the item under discussion.
      var defer = cfg.transitions.item.item_defer;
      show("[data-cmd=item_defer]", may("item_next") && !!item && allows("item", "item_defer", item.status) && holds(defer.role, item));
    }
  }

  function renderAgenda() {
    var dealt = items().filter(function (i) { return i.status === "done" || i.status === "deferred"; }).length;
    setText("[data-field=progress]", items().length ? fmt(S.progress, { done: dealt, total: items().length }) : "");
    all("[data-list=agenda]").forEach(function (list) {
      list.textContent = "";
      items().forEach(function (item) {
        var li = el("li", item.status + (item.kind === "open" ? " open" : ""));
        li.setAttribute("data-item", item.id);
        li.appendChild(el("span", "title", item.title));
        li.appendChild(document.createTextNode(" "));
        var meta = item.budget_minutes + " " + S.min;
        if (item.department) meta = item.department + " · " + meta;
        li.appendChild(el("small", "muted", meta + " · " + statusLabel(item.status)));
        if (item.elapsed_seconds && item.status !== "current") {
          var over = item.elapsed_seconds > item.budget_minutes * 60;
          li.appendChild(el("small", over ? "live-over" : "muted", " (" + clock(item.elapsed_seconds) + ")"));
        }
        if (item.deferral_reason) li.appendChild(el("small", "muted", " — " + item.deferral_reason));
        if (role === "host" && may("item_start", "item", item)) {
          var start = el("button", "link", S.start_item);
          start.type = "button";
          start.addEventListener("click", function () { send("item_start", { item: item.id }); });
          li.appendChild(document.createTextNode(" "));
          li.appendChild(start);
        }
        list.appendChild(li);
      });
    });
  }

  function renderSpeech() {
    var sp = state.speech;
    all("[data-field=speech]").forEach(function (box) {
      box.textContent = "";
      if (!sp) {
        box.appendChild(el("p", "muted", S.nobody_speaking));
        return;
      }
      var p = el("p", "live-speaker");
      p.appendChild(el("b", null, sp.person));
      if (sp.department) p.appendChild(el("span", "muted", " · " + sp.department));
      box.appendChild(p);
      var cd = el("div", "live-countdown");
      cd.setAttribute("data-clock", "speech");
      box.appendChild(cd);
      if (role === "host" && may("speech_end", "speech", sp)) {
        var end = el("button", null, S.end_speech);
        end.type = "button";
        end.addEventListener("click", function () { send("speech_end", {}); });
        box.appendChild(end);
      }
    });
  }

  function renderQueue() {
    all("[data-list=queue]").forEach(function (list) {
      list.textContent = "";
      var queue = state.queue || [];
      if (!queue.length) {
        list.appendChild(el("li", "muted", S.nobody_waiting));
        return;
      }
      queue.forEach(function (entry, index) {
        var li = el("li");
        li.setAttribute("data-speech", entry.id);
        li.appendChild(el("span", "name", entry.person + (entry.department ? " · " + entry.department : "")));
        if (role === "host") {
          var reorder = may("floor_reorder", "speech", entry);
          [["grant", may("floor_grant", "speech", entry) ? function () { send("floor_grant", { speech: entry.id }); } : null],
           // positions are 1-based: 1 = next to speak
           ["up", reorder && index > 0 ? function () { send("floor_reorder", { speech: entry.id, position: index }); } : null],
           ["down", reorder && index < queue.length - 1 ? function () { send("floor_reorder", { speech: entry.id, position: index + 2 }); } : null]
          ].forEach(function (pair) {
            if (!pair[1]) return;
            var b = el("button", pair[0] === "grant" ? "primary" : null, S[pair[0]]);
            b.type = "button";
            b.setAttribute("data-action", pair[0]);
            b.addEventListener("click", pair[1]);
            li.appendChild(b);
          });
        }
        list.appendChild(li);
      });
    });
  }

  function tallyNode(tally) {
    var box = el("div", "live-tally");
    ["agree", "against", "abstain"].forEach(function (key) {
      var span = el("span", null, S[key] + " ");
      span.setAttribute("data-tally", key);
      span.appendChild(el("b", null, tally[key]));
      box.appendChild(span);
    });
    return box;
  }

  function renderVote() {
    var vote = state.vote;
    all("[data-field=vote]").forEach(function (box) {
      box.textContent = "";
      if (!vote) {
        if (!state.last_vote) box.appendChild(el("p", "muted", S.no_vote));
        return;
      }
      box.appendChild(el("p", "live-big", vote.proposal));
      if (vote.rule) box.appendChild(el("p", "muted", S.rule + ": " + vote.rule));
      if (vote.secret) box.appendChild(el("span", "badge", S.secret));
      var counts = el("p", null, S.voted + " " + vote.voted_count + " / " + S.eligible + " " + vote.eligible_count);
      counts.setAttribute("data-field", "voted-count");
      box.appendChild(counts);
      if (vote.tally) box.appendChild(tallyNode(vote.tally));
      else box.appendChild(el("p", "muted", S.tally_after_close));
      if (vote.voted && vote.voted.length) box.appendChild(el("p", "muted", S.voted + ": " + vote.voted.join("、")));
      if (role === "host" && may("vote_close", "vote", vote)) {
        var close = el("button", "primary", S.close_vote);
        close.type = "button";
        close.setAttribute("data-cmd-inline", "vote_close");
        close.addEventListener("click", function () { send("vote_close", { vote: vote.id }); });
        box.appendChild(close);
      }
    });
    show("[data-field=vote-open-form]", !vote && may("vote_open"));
    var last = state.last_vote;
    all("[data-field=last-result]").forEach(function (box) {
      box.textContent = "";
      if (!last || vote) return;
      box.appendChild(el("p", "muted", S.last_result));
      box.appendChild(el("p", null, last.proposal));
      // "Passed", or why not (no quorum, too few in favour …), as the server worded it.
      var verdict = el("p", "live-big " + (last.passed ? "live-passed" : "live-failed live-over"),
        last.result || (last.passed ? S.passed : S.failed));
      verdict.setAttribute("data-result", last.passed ? "passed" : "failed");
      box.appendChild(verdict);
      if (last.tally) box.appendChild(tallyNode(last.tally));
      if (last.rule) box.appendChild(el("p", "muted", S.rule + ": " + last.rule));
    });
  }

  function renderSignedIn() {
    var signed = state.signed_in || [];
    setText("[data-field=signed-count]", String(signed.length));
    all("[data-list=signed]").forEach(function (list) {
      list.textContent = "";
      signed.forEach(function (row) {
        var text = row.name + (row.department ? " · " + row.department : "");
        if (row.delegate_for) text += " (" + fmt(S["for"], { name: row.delegate_for }) + ")";
        var li = el("li", null, text);
        if (row.late) li.appendChild(el("span", "badge late", S.late));
        list.appendChild(li);
      });
    });
  }

  function mine(list) {
    for (var i = 0; i < (list || []).length; i++) if (list[i].person_id === cfg.me) return list[i];
    return null;
  }

  function renderPhone() {
    var me = mine(state.signed_in);
    setText("[data-field=signin-state]", me ? S.you_are_signed_in : S.not_signed_in);
    show("[data-cmd=signin_self]", !me && may("signin_self"));
    show("[data-field=seat-choice]", !me && may("signin_self"));
    var queued = mine(state.queue);
    var speaking = state.speech && state.speech.person_id === cfg.me;
    setText("[data-field=floor-state]", speaking ? S.your_turn : queued ? S.in_queue : "");
    show("[data-cmd=floor_request]", !!me && !queued && !speaking && may("floor_request"));
    show("[data-cmd=floor_withdraw]", !!queued && may("floor_withdraw", "speech", queued));
    renderBallot();
  }

  function renderBallot() {
    if (role !== "phone" || !state) return;
    var vote = state.vote;
    var me = mine(state.signed_in);
    // Everyone signed in sits for an invitee (guests are listed apart): entitled to vote.
    var voted = vote && (vote.voter_ids || []).indexOf(cfg.me) >= 0;
    var eligible = vote && me;
    show("[data-field=ballot-buttons]", !!(vote && eligible && !voted) && may("ballot_cast", "vote", vote));
    var stored = null;
    try { stored = JSON.parse(sessionStorage.getItem(ballotKey) || "null"); } catch (e) { stored = null; }
    var text = "";
    if (vote && voted) {
      text = stored && stored.vote === vote.id ? fmt(S.your_ballot, { choice: S[stored.choice] }) : S.you_voted;
    } else if (vote && me && !eligible) {
      text = S.not_eligible;
    }
    setText("[data-field=ballot-confirm]", text);
  }

  // ---- clocks -----------------------------------------------------------------------------

  function warn(kind, elapsed, limitSeconds, atText, overText) {
    all("[data-warning=" + kind + "]").forEach(function (node) {
      if (!limitSeconds || elapsed < limitSeconds) {
        node.hidden = true;
        return;
      }
      var over = elapsed >= limitSeconds + 60;
      node.hidden = false;
      node.className = "live-warning" + (over ? " over" : "");
      node.textContent = over ? overText : atText;
    });
  }

  function tick() {
    if (!state) return;
    var now = serverNow();
    var m = state.meeting || {};
    var started = ts(m.started_at);
    var endedAt = ts(m.ended_at);
    var meetingElapsed = started ? ((endedAt || now) - started) / 1000 : null;
    setText("[data-clock=meeting]", meetingElapsed === null ? "—" : clock(meetingElapsed));
    warn("meeting", meetingElapsed || 0, m.ended ? 0 : (m.cap_minutes || 0) * 60, S.at_cap, S.over_cap);

    var item = currentItem();
    var cur = state.current_item;
    var itemStarted = cur ? ts(cur.started_at) : null;
    var itemElapsed = item && itemStarted ? (cur.elapsed_before || 0) + (now - itemStarted) / 1000 : null;
    setText("[data-clock=item]", itemElapsed === null ? "—" : clock(itemElapsed));
    all("[data-clock=item]").forEach(function (node) {
      node.classList.toggle("live-over", !!(item && itemElapsed > item.budget_minutes * 60));
    });
    warn("item", itemElapsed || 0, item ? item.budget_minutes * 60 : 0, S.at_budget, S.over_budget);

    var sp = state.speech;
    if (sp) {
      var left = (sp.limit_seconds || 0) - (now - ts(sp.started_at)) / 1000;
      all("[data-clock=speech]").forEach(function (node) {
        node.textContent = sp.limit_seconds ? clock(Math.ceil(left)) : clock((now - ts(sp.started_at)) / 1000);
        node.classList.toggle("live-over", !!(sp.limit_seconds && left < 0));
        node.title = sp.limit_seconds && left < 0 ? S.over_limit : "";
      });
    }
  }

  // ---- controls ---------------------------------------------------------------------------

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-cmd], [data-choice]");
    if (!button || !root.contains(button) || !state) return;
    var cmd = button.getAttribute("data-cmd");
    if (button.hasAttribute("data-choice")) {
      if (state.vote) send("ballot_cast", { vote: state.vote.id, choice: button.getAttribute("data-choice") });
      return;
    }
    if (cmd === "meeting_end") {
      if (window.confirm(S.confirm_end)) send("meeting_end", {});
    } else if (cmd === "item_next") {
      send("item_next", {});
    } else if (cmd === "item_defer") {
      var reason = document.getElementById("live-defer-reason");
      send("item_next", { reason: reason.value });
      reason.value = "";
    } else if (cmd === "signin_self") {
      // A delegate for several invitees says whom they sit for (the phone lists the seats).
      var seat = document.getElementById("live-seat");
      send("signin_self", seat ? { on_behalf_of: parseInt(seat.value, 10) } : {});
    } else if (cmd === "vote_open") {
      var proposal = document.getElementById("live-proposal");
      var secret = document.getElementById("live-secret");
      var args = { proposal: proposal.value, secret: secret.checked };
      if (currentId()) args.item = currentId();
      send("vote_open", args);
    } else if (cmd) {
      send(cmd, {});
    }
  });

  // The sign-in code can be renewed at the desk: fetch the QR image again now and then.
  function refreshQr() {
    all("img[data-qr]").forEach(function (img) {
      var base = img.getAttribute("data-src") || img.getAttribute("src");
      img.setAttribute("data-src", base);
      img.src = base + (base.indexOf("?") >= 0 ? "&" : "?") + "_=" + Date.now();
    });
  }
  setInterval(refreshQr, 30000);

  window.xietongLive = { state: function () { return state; }, send: send };
  setInterval(tick, 250);
  connect();
})();
