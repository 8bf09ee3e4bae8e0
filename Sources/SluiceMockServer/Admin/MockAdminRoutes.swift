import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `GET /_mock/stats` (``MockServerStats`` as JSON) and `POST /_mock/reset` (zero the stats).
/// No authentication: they are for the test that owns the server.
struct MockAdminRoutes: Sendable {
    let engine: MockServerEngine

    func register(on router: Router<MockRequestContext>) {
        router.get("_mock/stats") { _, _ in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = try encoder.encode(self.engine.stats)
            return MockHTTP.json(.ok, String(decoding: data, as: UTF8.self))
        }
        router.post("_mock/reset") { _, _ in
            self.engine.resetStats()
            return Response(status: .noContent)
        }
    }
}
