// 朗读 (read aloud): speaks a notice or a request's status with the browser's own speech synthesis, and only
// with a voice that runs on this device (voice.localService) and speaks Chinese, so no text leaves the device.
// The button stays hidden where there is no such voice.
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function") {
    return;
  }

  function localChineseVoice() {
    var voices = synth.getVoices() || [];
    var chinese = voices.filter(function (voice) {
      return voice.localService && typeof voice.lang === "string" && voice.lang.toLowerCase().indexOf("zh") === 0;
    });
    var mainland = chinese.filter(function (voice) {
      return voice.lang.replace("_", "-").toLowerCase() === "zh-cn";
    });
    return mainland[0] || chinese[0] || null;
  }

  function setUp() {
    var voice = localChineseVoice();
    if (!voice) {
      return false;
    }
    document.querySelectorAll("button.read-aloud[data-read-target]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-read-target"));
      if (!target || button.dataset.ready) {
        return;
      }
      button.dataset.ready = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        synth.cancel();
        var utterance = new window.SpeechSynthesisUtterance(target.innerText.trim());
        utterance.voice = voice;
        utterance.lang = voice.lang;
        synth.speak(utterance);
      });
    });
    return true;
  }

  // Voices often load after the page; try again when the browser says they changed.
  if (!setUp() && typeof synth.addEventListener === "function") {
    synth.addEventListener("voiceschanged", function onChange() {
      if (setUp()) {
        synth.removeEventListener("voiceschanged", onChange);
      }
    });
  }
})();
