// A real OpenID Connect provider for the sign-in tests: oidc-provider (a certified
// implementation) on 127.0.0.1, configured from one JSON file named on the command line.
//
//   port, issuer            where it listens and the issuer it names itself
//   clients                 registered relying parties (client_id, client_secret, redirect_uris, …)
//   signing_key             a private JWK ({"kty", "kid", …}) that signs ID tokens; a restart
//                           with another key is a key rotation
//   clock_offset_seconds    the provider's clock runs this far from the machine's (a provider
//                           whose clock is behind issues tokens that are already expired)
//   id_token_ttl_seconds    lifetime of its ID tokens (default one hour)
//   advertised_issuer       the discovery document names this issuer instead of the real one
//                           (a provider whose tokens do not carry the issuer it advertises)
//
// Accounts: any login is accepted (development interactions); the login is the subject, and
// a 12-digit login is also the person's `personal_id` claim. Prints one JSON line when ready.
import { readFileSync } from 'node:fs';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

if (config.clock_offset_seconds) {
  const realNow = Date.now;
  Date.now = () => realNow() + config.clock_offset_seconds * 1000;
}

const { default: Provider } = await import('oidc-provider');

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: { keys: [config.signing_key] },
  scopes: ['openid', 'profile', 'personal_id'],
  claims: { openid: ['sub'], profile: ['name'], personal_id: ['personal_id'] },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    async claims() {
      return {
        sub: id,
        name: `Người dùng ${id}`,
        ...(/^\d{12}$/.test(id) ? { personal_id: id } : {}),
      };
    },
  }),
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  ttl: { IdToken: config.id_token_ttl_seconds ?? 3600 },
  cookies: { keys: ['lienthong-test-provider-cookie-key'] },
});
provider.proxy = false;

if (config.advertised_issuer) {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/.well-known/openid-configuration' && ctx.body) {
      ctx.body = { ...ctx.body, issuer: config.advertised_issuer };
    }
  });
}

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, kid: config.signing_key.kid })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
