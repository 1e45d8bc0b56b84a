// The room's participant list and the host's waiting list, for lectures of a thousand: the
// server sends one snapshot, then batches of changed entries ("people" events, a few a second
// at most), each entry with a version; this script keeps everyone in a map by id and shows one
// page of each list at a time, with a name filter. It listens to the events live.js passes on
// ("meeting:event"); its buttons carry data-action/data-participant, which live.js sends.
(function () {
  "use strict";
  var root = document.getElementById("live-root");
  if (!root || root.dataset.kind !== "room") { return; }
  var strings = JSON.parse(document.getElementById("live-strings").textContent);
  var me = Number(root.dataset.participant);
  var isHost = root.dataset.host === "true";
  var PAGE_SIZE = 50;

  var people = {};      // id -> {id, name, host, state, t, v}
  var baseVersion = 0;  // the snapshot's version: older changes of unknown ids are stale
  var dropped = {};     // hosts: in the room but without a connection
  var pending = false;

  function byId(id) { return document.getElementById(id); }

  // --- one list with its page, filter and navigation --------------------------------------
  function Pager(listId, label, emptyText) {
    this.list = byId(listId);
    this.page = 0;
    this.filter = "";
    if (!this.list) { return; }
    var self = this;
    var tools = document.createElement("div");
    tools.className = "people-tools";
    var filterId = listId + "-filter";
    var filterLabel = document.createElement("label");
    filterLabel.htmlFor = filterId;
    filterLabel.textContent = strings.filter_names;
    var input = document.createElement("input");
    input.type = "search";
    input.id = filterId;
    input.autocomplete = "off";
    input.setAttribute("aria-controls", listId);
    input.addEventListener("input", function () { self.filter = input.value.trim().toLowerCase(); self.page = 0; render(); });
    tools.appendChild(filterLabel);
    tools.appendChild(input);
    this.list.parentNode.insertBefore(tools, this.list);

    var nav = document.createElement("div");
    nav.className = "people-pages";
    nav.setAttribute("role", "group");
    nav.setAttribute("aria-label", label);
    this.prev = document.createElement("button");
    this.prev.type = "button";
    this.prev.className = "secondary";
    this.prev.textContent = strings.previous_page;
    this.prev.dataset.pager = listId;
    this.next = document.createElement("button");
    this.next.type = "button";
    this.next.className = "secondary";
    this.next.textContent = strings.next_page;
    this.next.dataset.pager = listId;
    this.range = document.createElement("span");
    this.range.className = "people-range";
    this.range.setAttribute("aria-live", "polite");
    this.prev.addEventListener("click", function () { self.page -= 1; render(); });
    this.next.addEventListener("click", function () { self.page += 1; render(); });
    nav.appendChild(this.prev);
    nav.appendChild(this.range);
    nav.appendChild(this.next);
    this.list.parentNode.insertBefore(nav, this.list.nextSibling);
    this.emptyText = emptyText;
  }
  Pager.prototype.show = function (rows, makeItem) {
    if (!this.list) { return; }
    var filter = this.filter;
    var shown = filter ? rows.filter(function (p) { return p.name.toLowerCase().indexOf(filter) !== -1; }) : rows;
    var pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    var start = this.page * PAGE_SIZE;
    var slice = shown.slice(start, start + PAGE_SIZE);
    // keep the keyboard where it was: the same action on the same row of the page
    var focused = document.activeElement;
    var focusAt = null;
    if (focused && this.list.contains(focused) && focused.dataset.action) {
      var item = focused.closest("li");
      focusAt = { index: Array.prototype.indexOf.call(this.list.children, item), action: focused.dataset.action };
    }
    if (!slice.length) {
      var empty = document.createElement("li");
      empty.className = "help";
      empty.textContent = filter && rows.length ? strings.nobody_matches : this.emptyText;
      this.list.replaceChildren(empty);
    } else {
      this.list.replaceChildren.apply(this.list, slice.map(makeItem));
    }
    this.range.textContent = shown.length ? strings.page_range
      .replace("{from}", String(start + 1))
      .replace("{to}", String(start + slice.length))
      .replace("{total}", String(shown.length)) : "";
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
    this.prev.parentNode.hidden = shown.length <= PAGE_SIZE;
    if (focusAt) {
      var items = this.list.children;
      var row = items[Math.min(focusAt.index, items.length - 1)];
      var target = row && (row.querySelector("button[data-action='" + focusAt.action + "']") || row.querySelector("button"));
      (target || byId(this.list.getAttribute("aria-labelledby")) || this.list).focus();
    }
  };

  function button(label, action, id, extraClass, personName) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    // screen readers hear whom the button acts on: "Admit Anna", not a row of "Admit"
    b.setAttribute("aria-label", label + " " + personName);
    b.dataset.action = action;
    b.dataset.participant = id;
    b.dataset.name = personName;
    // the host panel explains each action once (help-admit, help-decline, help-remove)
    if (byId("help-" + action)) { b.setAttribute("aria-describedby", "help-" + action); }
    if (extraClass) { b.className = extraClass; }
    return b;
  }
  function personItem(person, actions) {
    var li = document.createElement("li");
    li.dataset.id = person.id;
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = person.name;
    if (person.host) { name.textContent += " (" + strings.host + ")"; }
    if (person.id === me) { name.textContent += " (" + strings.you + ")"; }
    li.appendChild(name);
    if (isHost && dropped[person.id]) {
      var lost = document.createElement("span");
      lost.className = "dropped";
      lost.textContent = " (" + strings.dropped + ")";
      li.appendChild(lost);
    }
    actions.forEach(function (a) { li.appendChild(button(a[0], a[1], person.id, a[2], person.name)); });
    return li;
  }

  var heading = byId("waiting-list-heading");
  if (heading) {
    var waitingCount = document.createElement("span");
    waitingCount.id = "waiting-count";
    heading.appendChild(document.createTextNode(" ("));
    heading.appendChild(waitingCount);
    heading.appendChild(document.createTextNode(")"));
    // a thousand arrivals must not be read out one by one: the count and the page say it
    var waitingList = byId("waiting-list");
    if (waitingList) { waitingList.removeAttribute("aria-live"); }
  }
  var rosterPager = new Pager("roster", strings.roster_pages, strings.nobody_matches);
  var waitingPager = new Pager("waiting-list", strings.waiting_pages, strings.nobody_waiting);

  function byName(a, b) {
    if (a.host !== b.host) { return a.host ? -1 : 1; }
    return a.name.localeCompare(b.name) || a.id - b.id;
  }
  function byArrival(a, b) { return a.t - b.t || a.id - b.id; }

  function render() {
    pending = false;
    var inRoom = [];
    var waiting = [];
    Object.keys(people).forEach(function (id) {
      var p = people[id];
      if (p.state === "admitted") { inRoom.push(p); } else if (p.state === "waiting") { waiting.push(p); }
    });
    inRoom.sort(byName);
    waiting.sort(byArrival);
    rosterPager.show(inRoom, function (p) {
      return personItem(p, isHost && p.id !== me && !p.host ? [[strings.remove, "remove", "danger"]] : []);
    });
    var count = byId("roster-count");
    if (count) { count.textContent = String(inRoom.length); }
    if (isHost) {
      waitingPager.show(waiting, function (p) {
        return personItem(p, [[strings.admit, "admit"], [strings.decline, "decline", "secondary"],
          [strings.remove, "remove", "danger"]]);
      });
      var waitingCountEl = byId("waiting-count");
      if (waitingCountEl) { waitingCountEl.textContent = String(waiting.length); }
    }
    var select = byId("chat-to");
    if (select) {
      var chosen = select.value;
      // chat limited to the hosts: a participant may write to a host only (the server checks)
      var hostsOnly = select.dataset.hostsOnly === "true";
      var options = hostsOnly ? [] : [new Option(strings.everyone, "")];
      inRoom.forEach(function (p) {
        if (p.id !== me && (!hostsOnly || p.host)) { options.push(new Option(p.name, String(p.id))); }
      });
      select.replaceChildren.apply(select, options);
      select.value = options.some(function (o) { return o.value === chosen; }) ? chosen : (options.length ? options[0].value : "");
    }
    // media.js shows and hears only who the portal says is in the room
    document.dispatchEvent(new CustomEvent("meeting:event", {
      detail: { event: "roster", payload: { participants: inRoom } }
    }));
  }
  function renderSoon() {
    if (pending) { return; }
    pending = true;
    window.setTimeout(render, 0);
  }

  function apply(entry) {
    var known = people[entry.id];
    if ((known ? known.v : baseVersion) >= entry.v) { return; }
    if (entry.state === "gone") {
      // a tombstone keeps older changes of this id from bringing it back
      people[entry.id] = { id: entry.id, state: "gone", v: entry.v };
      return;
    }
    people[entry.id] = entry;
  }

  document.addEventListener("meeting:event", function (e) {
    var data = e.detail || {};
    var p = data.payload || {};
    if (data.event === "state" && p.people) {
      people = {};
      baseVersion = p.people.version;
      p.people.entries.forEach(function (entry) {
        people[entry.id] = Object.assign({ v: baseVersion }, entry);
      });
      dropped = {};
      (p.dropped || []).forEach(function (id) { dropped[id] = true; });
      renderSoon();
    } else if (data.event === "people") {
      (p.entries || []).forEach(apply);
      Object.keys(p.presence || {}).forEach(function (id) {
        if (p.presence[id]) { delete dropped[id]; } else { dropped[id] = true; }
      });
      renderSoon();
    }
  });
})();
