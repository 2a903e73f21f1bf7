import type { RevenueReadModel } from "@revgraph/read-model";
import type { Plugin } from "graphql-yoga";

/**
 * `/health`: the process answers, with the read model's position (`{"status":"ok","position":N}`). `/ready`: the read model has caught up with the store
 * (reports position, head and lag), so a load balancer only routes to instances that serve current data.
 */
export function healthPlugin(readModel: RevenueReadModel, headPosition: () => Promise<number>): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === "/health") {
        endResponse(
          new fetchAPI.Response(JSON.stringify({ status: "ok", position: readModel.position }), {
            headers: { "content-type": "application/json" },
          }),
        );
        return;
      }
      if (url.pathname === "/ready") {
        const head = await headPosition();
        const lag = Math.max(0, head - readModel.position);
        const ready = lag === 0;
        endResponse(
          new fetchAPI.Response(
            JSON.stringify({ status: ready ? "ready" : "catching_up", position: readModel.position, head, lagEvents: lag }),
            {
              status: ready ? 200 : 503,
              headers: { "content-type": "application/json" },
            },
          ),
        );
      }
    },
  };
}
