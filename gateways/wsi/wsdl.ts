/**
 * The WSDL 1.1 of the SOAP binding (soap.ts): document/literal, one port per inbox whose address
 * is the inbox's own endpoint. Element names and their order are what soap.ts reads and writes.
 */
export const SOAP_NS = 'urn:tern:wsi:soap:0';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

const el = (name: string, type: string, occurs = '') => `<xsd:element name="${name}" type="${type}"${occurs}/>`;
const opt = ' minOccurs="0"';
const many = ' minOccurs="0" maxOccurs="unbounded"';
const seq = (...items: string[]) => `<xsd:complexType><xsd:sequence>${items.join('')}</xsd:sequence></xsd:complexType>`;
const named = (name: string, ...items: string[]) => `<xsd:complexType name="${name}"><xsd:sequence>${items.join('')}</xsd:sequence></xsd:complexType>`;
const top = (name: string, ...items: string[]) => `<xsd:element name="${name}">${seq(...items)}</xsd:element>`;

const OPS = ['GetMessages', 'SendMessages', 'Acknowledge'];

export function wsdl(location: string): string {
  const schema = [
    top('GetMessagesRequest', el('max', 'xsd:int', opt), el('after', 'xsd:long', opt), el('wait', 'xsd:int', opt), el('consume', 'xsd:boolean', opt)),
    named('InboxMessage', el('seq', 'xsd:long'), el('when', 'xsd:dateTime'), el('from', 'xsd:string', opt), el('contentType', 'xsd:string'),
      el('body', 'xsd:string'), el('subject', 'xsd:string', opt), el('url', 'xsd:anyURI', opt), el('stanza', 'xsd:string')),
    top('GetMessagesResponse', el('message', 'tns:InboxMessage', many), el('next', 'xsd:long'), el('pending', 'xsd:long')),
    named('OutMessage', el('to', 'xsd:string', ' maxOccurs="unbounded"'), el('contentType', 'xsd:string', opt), el('body', 'xsd:string'), el('subject', 'xsd:string', opt)),
    top('SendMessagesRequest', el('message', 'tns:OutMessage', ' maxOccurs="unbounded"'), el('waitMs', 'xsd:int', opt)),
    named('RecipientStatus', el('message', 'xsd:int'), el('recipient', 'xsd:string'), el('jid', 'xsd:string', opt), el('status', 'xsd:string'), el('condition', 'xsd:string', opt)),
    top('SendMessagesResponse', el('result', 'tns:RecipientStatus', many)),
    top('AcknowledgeRequest', el('upTo', 'xsd:long')),
    top('AcknowledgeResponse', el('removed', 'xsd:long'), el('pending', 'xsd:long')),
    top('error', el('reason', 'xsd:string'), el('field', 'xsd:string', opt)),
  ].join('');
  const messages = OPS.flatMap((o) => [
    `<message name="${o}Input"><part name="parameters" element="tns:${o}Request"/></message>`,
    `<message name="${o}Output"><part name="parameters" element="tns:${o}Response"/></message>`,
  ]).join('') + '<message name="Fault"><part name="fault" element="tns:error"/></message>';
  const portOps = OPS.map((o) => `<operation name="${o}"><input message="tns:${o}Input"/><output message="tns:${o}Output"/><fault name="error" message="tns:Fault"/></operation>`).join('');
  const bindOps = OPS.map((o) => `<operation name="${o}"><soap:operation soapAction="${SOAP_NS}#${o}" style="document"/>`
    + '<input><soap:body use="literal"/></input><output><soap:body use="literal"/></output>'
    + '<fault name="error"><soap:fault name="error" use="literal"/></fault></operation>').join('');
  return '<?xml version="1.0" encoding="utf-8"?>'
    + `<definitions name="InstantInbox" targetNamespace="${SOAP_NS}" xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"`
    + ` xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="${SOAP_NS}">`
    + `<types><xsd:schema targetNamespace="${SOAP_NS}" elementFormDefault="qualified">${schema}</xsd:schema></types>`
    + messages
    + `<portType name="InstantInboxPortType">${portOps}</portType>`
    + `<binding name="InstantInboxSoap" type="tns:InstantInboxPortType"><soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>${bindOps}</binding>`
    + `<service name="InstantInbox"><port name="InstantInboxPort" binding="tns:InstantInboxSoap"><soap:address location="${esc(location)}"/></port></service>`
    + '</definitions>';
}
