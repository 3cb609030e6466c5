import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Webhook, WebhookDelivery } from "../../../src/gen/keyward/admin/v1/webhook_pb.js";
import { api } from "../api.js";
import { relativeTime } from "../format.js";
import { ErrorText, Loading } from "./status.js";

const time = (t: WebhookDelivery["time"]) => (t ? new Date(Number(t.seconds) * 1000) : undefined);

/** One endpoint's recent deliveries, newest first, each with its latest attempt and a way to send it again. */
export function WebhookDeliveries({ webhook }: { webhook: Webhook }) {
  const queryClient = useQueryClient();
  const queryKey = ["webhooks", "deliveries", webhook.id];
  const deliveries = useQuery({
    queryKey,
    queryFn: () => api.listWebhookDeliveries({ webhookId: webhook.id, pageSize: 50 }),
  });
  const redeliver = useMutation({
    mutationFn: (d: WebhookDelivery) => api.redeliverWebhook({ deliveryId: d.id }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey }),
  });
  const now = Date.now();
  const list = deliveries.data?.deliveries ?? [];
  return (
    <section aria-labelledby="deliveries-title">
      <div className="title-row">
        <h2 id="deliveries-title">Recent deliveries to {webhook.url}</h2>
        <button type="button" onClick={() => queryClient.invalidateQueries({ queryKey })}>
          Refresh deliveries
        </button>
      </div>
      {deliveries.isPending && <Loading what="deliveries" />}
      {deliveries.error && <ErrorText error={deliveries.error} />}
      {redeliver.error && <ErrorText error={redeliver.error} />}
      {deliveries.data && list.length === 0 && <p className="empty">Nothing sent yet.</p>}
      {list.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Deliveries</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Answer</th>
                <th scope="col">When</th>
                <th scope="col">Again</th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id}>
                  <th scope="row">{d.eventType}</th>
                  <td>{d.state}</td>
                  <td>{d.attempt}</td>
                  <td>{d.statusCode ? `HTTP ${d.statusCode}` : d.error || "–"}</td>
                  <td>{relativeTime(time(d.time), now)}</td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Redeliver ${d.eventType} ${d.eventId}`}
                      disabled={redeliver.isPending || d.state === "pending"}
                      onClick={() => redeliver.mutate(d)}
                    >
                      Redeliver
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
