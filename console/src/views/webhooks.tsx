/** Webhooks have no RPCs in this server yet: say where they are managed. */
export function WebhooksView() {
  return (
    <section>
      <h1>Webhooks</h1>
      <p>
        Webhooks are managed via the API. This console will list them once the server offers webhook calls.
      </p>
    </section>
  );
}
