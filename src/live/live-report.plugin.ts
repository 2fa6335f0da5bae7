import type { ApolloServerPlugin } from '@apollo/server';
import type { LiveReport } from './live-fields.service.js';

/**
 * Adds what live fields learnt to the response: `extensions.stale` lists the sources whose stored
 * value was served (with its age), and each failed source becomes an error naming the connector.
 */
export function liveReportPlugin<C extends { live: { report: LiveReport } }>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const report = contextValue.live.report;
          if (response.body.kind !== 'single' || (!report.stale.length && !report.errors.length)) return;
          const result = response.body.singleResult;
          result.extensions = { ...(result.extensions ?? {}), stale: report.stale };
          const errors = report.errors.map((e) => ({
            message: e.message,
            extensions: { code: e.code, connector: e.connector, field: e.field },
          }));
          (result as { errors?: unknown[] }).errors = [...(result.errors ?? []), ...errors];
        },
      };
    },
  };
}
