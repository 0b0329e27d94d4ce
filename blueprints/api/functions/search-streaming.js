const https = require('https');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { defaultProvider } = require('@aws-sdk/credential-provider-node');
const { unmarshall } = require('@aws-sdk/util-dynamodb');

const host = process.env.SEARCH_ENDPOINT;
const signer = new SignatureV4({ service: 'es', region: process.env.AWS_REGION, credentials: defaultProvider(), sha256: Sha256 });

async function bulk(body) {
  const signed = await signer.sign({ method: 'POST', protocol: 'https:', hostname: host, path: '/_bulk', headers: { host, 'content-type': 'application/x-ndjson' }, body });
  const text = await new Promise((resolve, reject) => {
    const req = https.request({ method: 'POST', hostname: host, path: '/_bulk', headers: signed.headers }, (res) => {
      let data = '';
      res.on('data', (chunk) => { data += chunk; });
      res.on('end', () => (res.statusCode < 300 ? resolve(data) : reject(new Error(`OpenSearch answered ${res.statusCode}: ${data}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  const result = JSON.parse(text);
  if (result.errors) {
    throw new Error(`OpenSearch refused part of the batch: ${text.slice(0, 1000)}`);
  }
}

exports.handler = async (event) => {
  const lines = [];
  for (const record of event.Records) {
    const image = record.dynamodb.NewImage || record.dynamodb.OldImage;
    if (!image) continue;
    const item = unmarshall(image);
    const index = String(item.__typename || '').toLowerCase();
    if (!index) continue;
    const keys = unmarshall(record.dynamodb.Keys);
    const id = Object.keys(keys).sort().map((k) => keys[k]).join('#');
    if (record.eventName === 'REMOVE') {
      lines.push(JSON.stringify({ delete: { _index: index, _id: id } }));
    } else {
      lines.push(JSON.stringify({ index: { _index: index, _id: id } }), JSON.stringify(unmarshall(record.dynamodb.NewImage)));
    }
  }
  if (lines.length > 0) {
    await bulk(lines.join('\n') + '\n');
  }
};
