// Progressive enhancement of the referral form: the consent check says, as she chooses,
// whether this referral is covered by her consent. The service still decides on sending.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var check = document.getElementById("consent-check");
    var cover = document.getElementById("consent-cover");
    var partner = document.getElementById("partner");
    if (!check || !cover || !partner) { return; }
    var consented = (check.getAttribute("data-consented") || "").split(" ");

    function sharing() {
      var chosen = document.querySelector("input[name=shares_personal_data]:checked");
      return chosen ? chosen.value : "";
    }

    function say(strong, rest) {
      cover.textContent = "";
      var bold = document.createElement("strong");
      bold.textContent = strong;
      cover.appendChild(bold);
      cover.appendChild(document.createTextNode(rest));
    }

    function update() {
      if (!partner.value || !sharing()) { return; }
      var name = partner.options[partner.selectedIndex].text;
      if (sharing() === "no") {
        say("This referral is covered", ": none of her details are shared.");
      } else if (consented.indexOf(partner.value) !== -1) {
        say("This referral is covered", ": she agreed to share her details with " + name + ".");
      } else {
        say("This referral needs a lawful basis",
            ": she has not agreed to share her details with " + name + ".");
      }
    }

    partner.addEventListener("change", update);
    document.querySelectorAll("input[name=shares_personal_data]").forEach(function (input) {
      input.addEventListener("change", update);
    });
  });
})();
