// Audio, video and screen sharing in the live room, through the institution's Janus server
// (janus.js and adapter.js are served by the portal itself). The portal hands this page its
// media credentials only while the participant is admitted: a token Janus accepts and the
// room's number. Everything else (room secret, server secrets) stays on the server.
//
// The page publishes its own camera and microphone (or only what the browser allows) and
// subscribes to every other participant's feed. Names come from the room's participant list
// (Janus knows participants only by number). Who talks and who is muted is shown on the tiles
// and announced to screen readers. State changes go to the room through live.js
// ("meeting:send"); room events arrive as "meeting:event".
(function () {
  "use strict";
  var root = document.getElementById("media");
  var configElement = document.getElementById("media-config");
  if (!root || !configElement || typeof Janus === "undefined") { return; }
  var cfg = JSON.parse(configElement.textContent);
  var strings = JSON.parse(document.getElementById("media-strings").textContent);
  var grid = document.getElementById("media-grid");
  var announcer = document.getElementById("media-announce");
  var statusLine = document.getElementById("media-status");
  var isHost = root.dataset.host === "true";

  var janus = null;
  var publisher = null;
  var privateId = null;
  var subscribers = {}; // feed id -> plugin handle
  var feedState = {}; // feed id -> {audio, video, screen}
  var local = { audio: false, video: false, screen: false, mids: {} };
  // what the person chose with the buttons: kept across a reconnection, so that a new
  // publication never switches on a microphone or camera the person had switched off
  var wanted = { audio: true, video: true };
  var stopped = false;
  var retryDelay = 1000;
  var staleSession = null; // the Janus session lost in a network drop
  var lastSpeaker = null;

  function byId(id) { return document.getElementById(id); }
  function say(text) { if (announcer) { announcer.textContent = text; } }
  function status(text) { if (statusLine) { statusLine.textContent = text; } }
  function send(message) { document.dispatchEvent(new CustomEvent("meeting:send", { detail: message })); }
  function nameOf(feed) {
    if (String(feed) === String(cfg.feed)) { return strings.you; }
    var item = document.querySelector("#roster li[data-id='" + Number(feed) + "'] .name");
    return item ? item.textContent.replace(/\s*\(.*\)\s*$/, "") : strings.participant;
  }

  // --- the grid ---------------------------------------------------------------------------
  function layout() {
    var count = grid.querySelectorAll(".tile").length;
    grid.dataset.count = String(count);
    var columns = count <= 1 ? 1 : count <= 4 ? 2 : count <= 9 ? 3 : count <= 16 ? 4 : count <= 25 ? 5 : count <= 36 ? 6 : 8;
    grid.dataset.columns = String(columns);
  }
  function tileFor(feed) {
    var tile = grid.querySelector(".tile[data-feed='" + feed + "']");
    if (tile) { return tile; }
    tile = document.createElement("li");
    tile.className = "tile";
    tile.dataset.feed = String(feed);
    var video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true; // sound plays through the tile's audio element
    video.setAttribute("aria-hidden", "true");
    tile.appendChild(video);
    var audio = document.createElement("audio");
    audio.autoplay = true;
    tile.appendChild(audio);
    var label = document.createElement("span");
    label.className = "tile-name";
    tile.appendChild(label);
    var state = document.createElement("span");
    state.className = "tile-state";
    tile.appendChild(state);
    grid.appendChild(tile);
    renderTile(feed);
    layout();
    return tile;
  }
  function renderTile(feed) {
    var tile = grid.querySelector(".tile[data-feed='" + feed + "']");
    if (!tile) { return; }
    var st = String(feed) === String(cfg.feed) ? local : (feedState[feed] || { audio: true, video: true });
    var name = nameOf(feed);
    tile.querySelector(".tile-name").textContent = name;
    var parts = [];
    if (!st.audio) { parts.push(strings.muted); }
    if (!st.video && !st.screen) { parts.push(strings.camera_off); }
    if (st.screen) { parts.push(strings.sharing_screen); }
    tile.querySelector(".tile-state").textContent = parts.join(" · ");
    tile.classList.toggle("tile--muted", !st.audio);
    tile.setAttribute("aria-label", name + (parts.length ? ": " + parts.join(", ") : ""));
    var rosterItem = document.querySelector("#roster li[data-id='" + Number(feed) + "']");
    if (rosterItem) { rosterItem.dataset.muted = st.audio ? "false" : "true"; }
  }
  function dropTile(feed) {
    var tile = grid.querySelector(".tile[data-feed='" + feed + "']");
    if (tile) { tile.remove(); layout(); }
  }
  function attachTrack(feed, track, on) {
    // a track that ends (on: false) after the subscription was dropped must not bring the
    // tile back; nor may a late track of a feed that is no longer subscribed
    var existing = grid.querySelector(".tile[data-feed='" + feed + "']");
    if (!existing && (!on || (String(feed) !== String(cfg.feed) && !subscribers[feed]))) { return; }
    var tile = existing || tileFor(feed);
    var element = tile.querySelector(track.kind === "audio" ? "audio" : "video");
    var stream = element.srcObject || new MediaStream();
    stream.getTracks().filter(function (t) { return t.kind === track.kind; }).forEach(function (t) { stream.removeTrack(t); });
    if (on) { stream.addTrack(track); }
    element.srcObject = stream;
    if (on) { element.play().catch(function () {}); }
  }
  function speaking(feed, talking) {
    var tile = grid.querySelector(".tile[data-feed='" + feed + "']");
    if (tile) { tile.classList.toggle("tile--speaking", talking); }
    if (talking && lastSpeaker !== feed) {
      lastSpeaker = feed;
      say(strings.talking.replace("{name}", nameOf(feed)));
    }
  }

  // --- own microphone, camera and screen --------------------------------------------------
  function announceState() {
    send({ action: "media_state", audio: local.audio, video: local.video, screen: local.screen });
    renderTile(cfg.feed);
    var mic = byId("media-mic");
    if (mic) {
      mic.setAttribute("aria-pressed", local.audio ? "false" : "true");
      mic.textContent = local.audio ? strings.mute : strings.unmute;
    }
    var cam = byId("media-cam");
    if (cam) {
      cam.setAttribute("aria-pressed", local.video ? "false" : "true");
      cam.textContent = local.video ? strings.camera_stop : strings.camera_start;
    }
    var screen = byId("media-screen");
    if (screen) {
      screen.setAttribute("aria-pressed", local.screen ? "true" : "false");
      screen.textContent = local.screen ? strings.screen_stop : strings.screen_start;
    }
  }
  function permissionProblem(error) {
    var box = byId("media-permission");
    if (box) { box.hidden = false; }
    status(strings.no_devices);
    if (window.console) { console.warn("media devices:", error && error.name); }
  }
  function publish(tracks, fallbacks) {
    publisher.createOffer({
      tracks: tracks,
      success: function (jsep) {
        var hasAudio = tracks.some(function (t) { return t.type === "audio" && t.capture; });
        var hasVideo = tracks.some(function (t) { return t.type === "video" && t.capture; });
        if (hasAudio && !wanted.audio) { publisher.muteAudio(); }
        if (hasVideo && !wanted.video) { publisher.muteVideo(); }
        local.audio = hasAudio && wanted.audio;
        local.video = hasVideo && wanted.video;
        publisher.send({ message: { request: "configure", audio: local.audio, video: local.video }, jsep: jsep });
        announceState();
      },
      error: function (error) {
        if (fallbacks.length) {
          permissionProblem(error);
          publish(fallbacks[0], fallbacks.slice(1));
        } else {
          permissionProblem(error);
          local.audio = local.video = false;
          announceState();
        }
      }
    });
  }
  function publishOwnFeed() {
    var audio = { type: "audio", capture: true, recv: false };
    var video = { type: "video", capture: true, recv: false };
    // a browser that refuses the camera still sends sound; one that refuses both still
    // receives everyone else
    publish([audio, video], [[audio], [{ type: "data" }]]);
  }
  // The choice holds even while no publication exists (during a reconnection): it is applied
  // when the feed is published again.
  function setMic(on) {
    wanted.audio = on;
    if (publisher) {
      if (on) { publisher.unmuteAudio(); } else { publisher.muteAudio(); }
      local.audio = on && !publisher.isAudioMuted();
    } else {
      local.audio = false;
    }
    announceState();
  }
  function setCamera(on) {
    wanted.video = on;
    if (publisher) {
      if (on) { publisher.unmuteVideo(); } else { publisher.muteVideo(); }
      local.video = on && !publisher.isVideoMuted();
    } else {
      local.video = false;
    }
    announceState();
  }
  function videoMid() {
    var transceivers = publisher && publisher.webrtcStuff.pc ? publisher.webrtcStuff.pc.getTransceivers() : [];
    for (var i = 0; i < transceivers.length; i++) {
      var t = transceivers[i];
      if (t.sender && t.sender.track && t.sender.track.kind === "video") { return t.mid; }
    }
    return null;
  }
  function shareScreen(on) {
    var mid = videoMid();
    var track = on ? { type: "screen", capture: true, mid: mid } : { type: "video", capture: true, mid: mid };
    if (!mid) { track = on ? { type: "screen", capture: true, add: true } : { type: "video", capture: true, add: true }; }
    publisher.replaceTracks({
      tracks: [track],
      success: function () {
        local.screen = on;
        announceState();
        if (on) {
          var sender = publisher.webrtcStuff.pc.getSenders().filter(function (s) { return s.track && s.track.kind === "video"; })[0];
          if (sender) { sender.track.addEventListener("ended", function () { shareScreen(false); }); }
        }
      },
      error: function () { status(strings.screen_failed); }
    });
  }
  function fillDevices() {
    Janus.listDevices(function (devices) {
      [["audioinput", "media-mic-select"], ["videoinput", "media-cam-select"]].forEach(function (pair) {
        var select = byId(pair[1]);
        if (!select) { return; }
        var options = devices.filter(function (d) { return d.kind === pair[0]; }).map(function (d, i) {
          return new Option(d.label || (strings.device + " " + (i + 1)), d.deviceId);
        });
        select.replaceChildren.apply(select, options);
        select.disabled = !options.length;
      });
    });
  }
  function useDevice(kind, deviceId) {
    if (!publisher) { return; }
    publisher.replaceTracks({
      tracks: [{ type: kind, mid: kind === "video" ? videoMid() : undefined, capture: { deviceId: { exact: deviceId } } }],
      error: function () { status(strings.device_failed); }
    });
  }

  // --- other participants' feeds ----------------------------------------------------------
  // Feeds the media server announced, and who the portal says is in the room: a feed is shown
  // only while both hold, so that a removed participant's stream never comes back, whatever the
  // order in which the media server's and the portal's events arrive.
  var announced = {};
  var inRoom = null; // null until the first roster: the page's own list is used then
  function isInRoom(feed) {
    if (inRoom === null) {
      return !!document.querySelector("#roster li[data-id='" + Number(feed) + "']");
    }
    return !!inRoom[String(feed)];
  }
  function subscribe(feed) {
    announced[String(feed)] = true;
    if (!isInRoom(feed)) { return; }
    if (String(feed) === String(cfg.feed) || subscribers[feed]) { return; }
    subscribers[feed] = "pending";
    janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (handle) {
        if (subscribers[feed] !== "pending") { handle.detach(); return; } // dropped meanwhile
        subscribers[feed] = handle;
        handle.send({ message: { request: "join", ptype: "subscriber", room: cfg.room, streams: [{ feed: feed }], private_id: privateId, token: cfg.token } });
      },
      error: function () { delete subscribers[feed]; },
      onmessage: function (msg, jsep) {
        var handle = subscribers[feed];
        if (jsep && handle && handle !== "pending") {
          handle.createAnswer({
            jsep: jsep,
            tracks: [{ type: "data" }],
            success: function (answer) { handle.send({ message: { request: "start", room: cfg.room }, jsep: answer }); }
          });
        }
      },
      onremotetrack: function (track, mid, on) { attachTrack(feed, track, on); },
      oncleanup: function () { dropTile(feed); }
    });
    tileFor(feed);
  }
  function unsubscribe(feed, stillPublishing) {
    if (!stillPublishing) { delete announced[String(feed)]; }
    var handle = subscribers[feed];
    delete subscribers[feed];
    if (handle && handle !== "pending") { handle.detach(); }
    dropTile(feed);
  }
  function onPublisherMessage(msg, jsep) {
    var event = msg.videoroom;
    if (event === "joined") {
      privateId = msg.private_id;
      retryDelay = 1000;
      status(strings.connected);
      publishOwnFeed();
      (msg.publishers || []).forEach(function (p) { subscribe(p.id); });
    } else if (event === "event") {
      (msg.publishers || []).forEach(function (p) { subscribe(p.id); });
      if (msg.leaving !== undefined && msg.leaving !== "ok") { unsubscribe(msg.leaving); }
      if (msg.kicked !== undefined) { unsubscribe(msg.kicked); }
      if (msg.unpublished !== undefined) {
        if (msg.unpublished === "ok") { /* our own */ } else { unsubscribe(msg.unpublished); }
      }
      if (msg.error_code === 436 && retryDelay < 15000) {
        // "ID already exists": our own feed of before the drop, not yet gone on Janus
        var previous = janus;
        janus = null;
        reset();
        try { previous.destroy({ notifyDestroyed: false }); } catch (e) { /* already gone */ }
        reconnectLater();
      } else if (msg.error_code) { status(strings.refused); stop(); }
    } else if (event === "talking") {
      speaking(msg.id, true);
    } else if (event === "stopped-talking") {
      speaking(msg.id, false);
    }
    if (jsep) { publisher.handleRemoteJsep({ jsep: jsep }); }
  }

  // --- the session ------------------------------------------------------------------------
  function reconnectLater() {
    if (stopped) { return; }
    status(strings.reconnecting);
    window.setTimeout(start, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }
  function start() {
    if (stopped) { return; }
    if (staleSession && /^https?:/.test(cfg.server)) {
      // the session lost in the drop still holds our place in the room until Janus times it
      // out: end it ourselves (our token may), so that the new one may join at once
      var stale = staleSession;
      staleSession = null;
      var body = JSON.stringify({ janus: "destroy", token: cfg.token, transaction: Janus.randomString(12) });
      window.fetch(cfg.server + "/" + stale, { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
        .catch(function () {})
        .then(start);
      return;
    }
    status(strings.connecting);
    janus = new Janus({
      server: cfg.server,
      token: cfg.token,
      iceServers: cfg.ice_servers,
      iceTransportPolicy: cfg.ice_transport_policy === "relay" ? "relay" : undefined,
      success: function () {
        janus.attach({
          plugin: "janus.plugin.videoroom",
          success: function (handle) {
            publisher = handle;
            handle.send({ message: { request: "join", ptype: "publisher", room: cfg.room, id: cfg.feed, display: "p" + cfg.feed, token: cfg.token } });
          },
          error: function () { status(strings.refused); },
          onmessage: onPublisherMessage,
          onlocaltrack: function (track, on) { if (track.kind === "video") { attachTrack(cfg.feed, track, on); } },
          oncleanup: function () { local.audio = local.video = local.screen = false; }
        });
      },
      error: function (error) {
        // a network drop: build a new session with the same credentials (no waiting room);
        // Janus refuses them once the portal has revoked them
        staleSession = janus && janus.getSessionId ? janus.getSessionId() : null;
        reset();
        reconnectLater();
        if (window.console) { console.warn("janus:", String(error).slice(0, 80)); }
      },
      destroyed: function () { reset(); }
    });
  }
  function reset() {
    // close the peer connections of a lost session: they must not keep sending into it
    Object.keys(subscribers).forEach(function (feed) {
      var handle = subscribers[feed];
      if (handle && handle !== "pending") { try { handle.hangup(false); } catch (e) { /* gone */ } }
    });
    if (publisher) { try { publisher.hangup(false); } catch (e) { /* gone */ } }
    Object.keys(subscribers).forEach(function (feed) { dropTile(feed); });
    subscribers = {};
    publisher = null;
  }
  function stop() {
    stopped = true;
    if (janus) { try { janus.destroy({ notifyDestroyed: false }); } catch (e) { /* already gone */ } }
    reset();
  }

  // --- controls and room events -----------------------------------------------------------
  root.addEventListener("click", function (e) {
    var target = e.target.closest("button");
    if (!target) { return; }
    if (target.id === "media-mic") { setMic(!(wanted.audio && local.audio)); }
    else if (target.id === "media-cam") { setCamera(!(wanted.video && local.video)); }
    else if (target.id === "media-screen") { shareScreen(!local.screen); }
    else if (target.id === "media-mute-all") { send({ action: "mute_all" }); }
  });
  root.addEventListener("change", function (e) {
    if (e.target.id === "media-mic-select") { useDevice("audio", e.target.value); }
    if (e.target.id === "media-cam-select") { useDevice("video", e.target.value); }
  });
  document.addEventListener("meeting:event", function (e) {
    var data = e.detail || {};
    var p = data.payload || {};
    if (data.event === "media.state" && String(p.participant) !== String(cfg.feed)) {
      var before = feedState[p.participant];
      feedState[p.participant] = { audio: p.audio, video: p.video, screen: p.screen };
      renderTile(p.participant);
      if (before && before.audio !== p.audio) {
        say((p.audio ? strings.unmuted_name : strings.muted_name).replace("{name}", nameOf(p.participant)));
      }
    } else if (data.event === "media.mute_all") {
      if (!isHost && local.audio) { setMic(false); }
      say(strings.all_muted);
    } else if (data.event === "roster") {
      // The portal's roster is the authority: whoever is no longer in the room (removed, left)
      // is no longer shown or heard here, even before the media server's own event arrives.
      inRoom = {};
      (p.participants || []).forEach(function (person) { inRoom[String(person.id)] = true; });
      Object.keys(subscribers).forEach(function (feed) {
        if (!inRoom[String(feed)]) { unsubscribe(feed); }
      });
      Object.keys(announced).forEach(function (feed) {
        if (inRoom[feed] && !subscribers[feed]) { subscribe(feed); }
      });
      Object.keys(subscribers).forEach(renderTile);
      renderTile(cfg.feed);
    } else if (data.event === "removed" || data.event === "ended") {
      stop(); // "removed" reaches only the removed participant's browser
    }
  });
  window.addEventListener("pagehide", stop);

  // for operators and tests: decoded frames per remote feed (getStats of each subscription)
  window.portalMedia = {
    framesDecoded: function () {
      var feeds = Object.keys(subscribers).filter(function (f) { return subscribers[f] !== "pending"; });
      return Promise.all(feeds.map(function (feed) {
        var pc = subscribers[feed].webrtcStuff && subscribers[feed].webrtcStuff.pc;
        if (!pc) { return Promise.resolve([feed, 0]); }
        return pc.getStats().then(function (report) {
          var frames = 0;
          report.forEach(function (s) { if (s.type === "inbound-rtp" && s.kind === "video") { frames += s.framesDecoded || 0; } });
          return [feed, frames];
        });
      })).then(function (pairs) {
        var out = {};
        pairs.forEach(function (pair) { out[pair[0]] = pair[1]; });
        return out;
      });
    },
    local: function () { return { audio: local.audio, video: local.video, screen: local.screen }; },
    // what this page sends as its video (camera or screen)
    localVideo: function () {
      var pc = publisher && publisher.webrtcStuff && publisher.webrtcStuff.pc;
      var sender = pc ? pc.getSenders().filter(function (s) { return s.track && s.track.kind === "video"; })[0] : null;
      if (!sender) { return { label: null, displaySurface: null }; }
      var settings = sender.track.getSettings ? sender.track.getSettings() : {};
      return { label: sender.track.label, displaySurface: settings.displaySurface || null };
    },
    // the candidate types ("host", "srflx", "relay") of every connection's selected pair
    candidateTypes: function () {
      var pcs = [];
      if (publisher && publisher.webrtcStuff && publisher.webrtcStuff.pc) { pcs.push(["own", publisher.webrtcStuff.pc]); }
      Object.keys(subscribers).forEach(function (feed) {
        var h = subscribers[feed];
        if (h !== "pending" && h.webrtcStuff && h.webrtcStuff.pc) { pcs.push([feed, h.webrtcStuff.pc]); }
      });
      return Promise.all(pcs.map(function (pair) {
        return pair[1].getStats().then(function (report) {
          var selected = null;
          report.forEach(function (s) {
            if (s.type === "transport" && s.selectedCandidatePairId) { selected = report.get(s.selectedCandidatePairId); }
          });
          if (!selected) {
            report.forEach(function (s) { if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") { selected = s; } });
          }
          var localCandidate = selected && report.get(selected.localCandidateId);
          var remoteCandidate = selected && report.get(selected.remoteCandidateId);
          return {
            connection: pair[0],
            local: localCandidate ? localCandidate.candidateType : null,
            remote: remoteCandidate ? remoteCandidate.candidateType : null,
            relayProtocol: localCandidate ? localCandidate.relayProtocol || null : null
          };
        });
      }));
    }
  };

  if (cfg.unavailable) { status(strings.unavailable); return; }
  tileFor(cfg.feed);
  Janus.init({
    debug: false,
    dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
    callback: function () { fillDevices(); start(); }
  });
})();
