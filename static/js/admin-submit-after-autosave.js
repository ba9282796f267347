// Wagtail autosaves an editor's form in the background after each pause (the events
// w-autosave:save, then w-autosave:success or w-autosave:error). A click on Save draft, Publish or
// Submit while an autosave is still on its way sent the form a second time beside it: on a new
// entry, the click created a second record with the same slug while the autosave created the first.
// Here such a click waits for the autosave's answer and is then sent, to wherever the form points
// by then (after a new record's first autosave, its edit view).
(() => {
  let autosaving = false;
  let held = null;

  const send = () => {
    if (autosaving || !held) return;
    const { form, submitter } = held;
    held = null;
    if (submitter && submitter.name) {
      // The button may be disabled by its progress state by now, and a disabled button is not sent.
      const action = document.createElement('input');
      action.type = 'hidden';
      action.name = submitter.name;
      action.value = submitter.value;
      form.append(action);
    }
    form.requestSubmit();
  };

  document.addEventListener('w-autosave:save', () => {
    autosaving = true;
  });
  for (const name of ['w-autosave:success', 'w-autosave:error']) {
    document.addEventListener(name, () => {
      autosaving = false;
      // Let the admin finish what it does with the answer (a new record's form becomes its edit form).
      window.setTimeout(send, 50);
    });
  }
  document.addEventListener(
    'submit',
    (event) => {
      if (!autosaving || !event.target.matches('form[data-edit-form]')) return;
      event.preventDefault();
      held = { form: event.target, submitter: event.submitter };
    },
    true,
  );
})();
