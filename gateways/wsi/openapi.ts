/**
 * The OpenAPI 3.0 document of the REST/JSON binding (http.ts), served at /wsi/<host>/openapi.json
 * without authentication. It lists every path the binding serves, the SOAP endpoint included.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const err = (description: string) => ({ description, ...jsonBody(ref('Error')) });
const errors = {
  400: err('Malformed request; `field` names the offending field'),
  401: err('Missing or unknown bearer token'),
  403: err('The token is not for this inbox'),
  429: err('Too many requests from this inbox (Retry-After)'),
};
const inbox = { name: 'inbox', in: 'path', required: true, schema: { type: 'string' }, description: 'The inbox account (its local part)' };
const int = (name: string, description: string, minimum = 0) => ({ name, in: 'query', required: false, schema: { type: 'integer', minimum }, description });

export function openApi(serverUrl: string): unknown {
  return {
    openapi: '3.0.3',
    info: { title: 'Tern WSI Instant Inbox (REST/JSON binding)', version: '0', description: 'OMA IM web-service interface (WSI-5..12, 24, 25, 29..36). The SOAP 1.1 binding of the same operations is at /{inbox}/soap (WSDL: ?wsdl).' },
    servers: [{ url: serverUrl.replace(/\/$/, '') }],
    security: [{ bearer: [] }],
    paths: {
      '/openapi.json': { get: { operationId: 'openApi', summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3 document', content: { 'application/json': {} } } } } },
      '/{inbox}/messages': {
        parameters: [inbox],
        get: {
          operationId: 'getMessages', summary: 'GetMessages: pending messages, oldest first',
          parameters: [int('max', 'At most this many (WSI-7/31); all when absent', 1), int('after', 'Only messages with seq greater than this cursor'),
            int('wait', 'Seconds to wait for a message when none is pending (long poll, WSI-25)'),
            { name: 'consume', in: 'query', required: false, schema: { type: 'string', enum: ['1', 'true', '0', 'false'] }, description: 'Acknowledge what is returned' }],
          responses: { 200: { description: 'Messages and the next cursor', ...jsonBody(ref('GetMessagesResult')) }, ...errors },
        },
        post: {
          operationId: 'sendMessages', summary: 'SendMessages: one or more messages, each to one or more recipients (WSI-8/9/10)',
          requestBody: { required: true, ...jsonBody(ref('SendRequest')) },
          responses: { 200: { description: 'A status per (message, recipient)', ...jsonBody({ type: 'object', required: ['results'], properties: { results: { type: 'array', items: ref('RecipientStatus') } } }) },
            ...errors, 413: err('Body over the size limit') },
        },
      },
      '/{inbox}/ack': {
        parameters: [inbox],
        post: {
          operationId: 'acknowledge', summary: 'Removes every message with seq up to upTo',
          requestBody: { required: true, ...jsonBody({ type: 'object', required: ['upTo'], properties: { upTo: { type: 'integer', minimum: 0 } } }) },
          responses: { 200: { description: 'Removed and still pending', ...jsonBody({ type: 'object', properties: { removed: { type: 'integer' }, pending: { type: 'integer' } } }) }, ...errors },
        },
      },
      '/{inbox}/soap': {
        parameters: [inbox],
        get: { operationId: 'wsdl', summary: 'The WSDL of the SOAP 1.1 binding (query: ?wsdl)', security: [],
          parameters: [{ name: 'wsdl', in: 'query', required: true, allowEmptyValue: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'WSDL 1.1', content: { 'text/xml': {} } } } },
        post: { operationId: 'soap', summary: 'A SOAP 1.1 envelope: GetMessages, SendMessages or Acknowledge', requestBody: { required: true, content: { 'text/xml': {} } },
          responses: { 200: { description: 'SOAP response', content: { 'text/xml': {} } }, 500: { description: 'SOAP Fault', content: { 'text/xml': {} } } } },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token configured for the inbox (hosts[].wsi.inboxes)' } },
      schemas: {
        Error: { type: 'object', required: ['error', 'reason'], properties: { error: { type: 'string' }, reason: { type: 'string', enum: ['unauthorized', 'forbidden', 'rate-limited', 'too-large', 'bad-request', 'not-found', 'method-not-allowed'] }, field: { type: 'string' } } },
        InboxMessage: { type: 'object', required: ['seq', 'when', 'stanza', 'contentType', 'body'], properties: {
          seq: { type: 'integer' }, when: { type: 'integer', description: 'Arrival, ms since the epoch' }, from: { type: 'string' },
          contentType: { type: 'string' }, body: { type: 'string', description: 'Text for text/plain, else base64' }, subject: { type: 'string' },
          url: { type: 'string', format: 'uri', description: 'A file the sender shared (XEP-0066 out-of-band URL)' },
          stanza: { type: 'string', description: 'The XMPP message as received' } } },
        GetMessagesResult: { type: 'object', required: ['messages', 'next', 'pending'], properties: { messages: { type: 'array', items: ref('InboxMessage') }, next: { type: 'integer' }, pending: { type: 'integer' } } },
        OutMessage: { type: 'object', required: ['to', 'body'], properties: {
          to: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }], description: 'xmpp:/im: URIs, bare JIDs, tel:/+E.164, sip:/sips: through the SIP gateway when it runs (WSI-11)' },
          contentType: { type: 'string', default: 'text/plain' }, body: { type: 'string', description: 'Text for text/plain, else base64 (WSI-12)' }, subject: { type: 'string' } } },
        SendRequest: { type: 'object', required: ['messages'], properties: { messages: { type: 'array', minItems: 1, items: ref('OutMessage') }, waitMs: { type: 'integer', minimum: 0, description: 'How long to wait for remote errors' } } },
        RecipientStatus: { type: 'object', required: ['message', 'recipient', 'status'], properties: {
          message: { type: 'integer' }, recipient: { type: 'string' }, jid: { type: 'string' }, status: { type: 'string', enum: ['accepted', 'error'] }, condition: { type: 'string', description: 'The XMPP stanza error condition' } } },
      },
    },
  };
}
