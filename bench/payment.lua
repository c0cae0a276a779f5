-- wrk script: POST a $1.00 payment for CUST-001 to the process-payment tool route (a durable
-- ledger write each), keep-alive. Prints one BENCH_RESULT line for bench/durable_writes.sh.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"data":{"action":"process","customerId":"CUST-001","amount":"1.00","paymentMethod":"bank_transfer"}}'

done = function(summary, latency, requests)
  io.write(string.format("BENCH_RESULT requests=%d duration_us=%d errors=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
