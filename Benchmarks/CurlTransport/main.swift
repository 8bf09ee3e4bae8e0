// An ad hoc load driver for CurlTransport, the Swift counterpart of Benchmarks/c-multi/multi.c: N GET
// requests to one URL from C concurrent tasks, each reading its body to the end; prints requests per
// second. It is not part of any package: build it in release mode in a scratch package that depends
// on Sluice (see Benchmarks/CurlTransport/README.md).
//
//   curltransport-load http://127.0.0.1:8089/small 200000 64 [http1|http2|h2c]
//   SLUICE_CA_BUNDLE=/path/ca.pem curltransport-load https://127.0.0.1:8091/small 50000 64 http2
import Foundation
import Sluice
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count >= 4, let total = Int(arguments[2]), let concurrency = Int(arguments[3]), total > 0,
    concurrency > 0
else {
    print("usage: curltransport-load URL REQUESTS CONCURRENCY [http1|http2|h2c]")
    exit(2)
}
let url = arguments[1]
var configuration = CurlTransport.Configuration()
switch arguments.count > 4 ? arguments[4] : "http1" {
case "http2": configuration.httpVersion = .http2
case "h2c": configuration.httpVersion = .http2PriorKnowledge
default: configuration.httpVersion = .http1_1
}
configuration.connections.maxTotal = concurrency
if let bundle = ProcessInfo.processInfo.environment["SLUICE_CA_BUNDLE"] { configuration.tls.caBundlePath = bundle }

let transport = try CurlTransport(configuration: configuration)
let next = Atomic<Int>(0)
let failures = Atomic<Int>(0)
let request = ClientRequest(url: url)

// Warm up: open the connections.
try await withThrowingTaskGroup(of: Void.self) { group in
    for _ in 0..<concurrency {
        group.addTask { _ = try await transport.send(request).body.collect(upTo: 1 << 20) }
    }
    try await group.waitForAll()
}

let clock = ContinuousClock()
let start = clock.now
await withTaskGroup(of: Void.self) { group in
    for _ in 0..<concurrency {
        group.addTask {
            while next.add(1, ordering: .relaxed).oldValue < total {
                do {
                    let response = try await transport.send(request)
                    for try await _ in response.body {}
                    if response.status != 200 { failures.add(1, ordering: .relaxed) }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
    }
}
let elapsed = clock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
await transport.shutdown()
let rate = Int(Double(total) / seconds)
print(
    "\(total) requests, concurrency \(concurrency), \(failures.load(ordering: .relaxed)) failed, \(String(format: "%.2f", seconds)) s, \(rate) requests/s"
)
