export * from './abuseipdb.fake.ts';
export * from './fake-server.ts';
export * from './gemini.fake.ts';
export * from './http.ts';
export * from './pipeline.fixture.ts';
export * from './redis.fixture.ts';
export * from './virustotal.fake.ts';
export * from './webhook-receiver.fake.ts';
