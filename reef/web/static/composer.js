// The message box: Enter sends, Shift+Enter adds a line, it grows with its text, and while a
// reply streams its button stops the reply instead.

export class Composer {
  constructor({ form, input, button, onSend, onStop }) {
    Object.assign(this, { form, input, button });
    this.busy = false;
    this.label = button.querySelector(".send-label");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.busy) onStop();
      else this.submit(onSend);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (!this.busy) this.submit(onSend);
      }
    });
    input.addEventListener("input", () => this.fit());
  }

  submit(onSend) {
    const text = this.input.value.trim();
    if (!text || this.input.disabled) return;
    this.input.value = "";
    this.fit();
    onSend(text);
  }

  restore(text) {
    if (!this.input.value) {
      this.input.value = text;
      this.fit();
    }
  }

  fit() {
    this.input.style.height = "auto";
    this.input.style.height = `${this.input.scrollHeight}px`;
  }

  enable(name) {
    this.input.disabled = false;
    this.button.disabled = false;
    this.input.placeholder = `Message ${name}…`;
  }

  disable() {
    this.input.disabled = true;
    this.button.disabled = true;
    this.input.placeholder = "Pick a companion to start chatting";
  }

  setBusy(busy) {
    this.busy = busy;
    this.button.dataset.mode = busy ? "stop" : "send";
    this.label.textContent = busy ? "Stop" : "Send";
    this.button.setAttribute("aria-label", busy ? "Stop the reply" : "Send message");
  }
}
