import SluiceMockServer
import Testing

@Suite("MockAPIKey redaction")
struct MockAPIKeyRedactionTests {
    @Test("a mock key's secret is not in its description, debug description, dump or mirror, nor the configuration's")
    func secretHidden() {
        let key = MockAPIKey(name: "tenant-a", secret: "sk-test-MOCKLEAK-0123456789")
        var configuration = MockServerConfiguration()
        configuration.keys = [key]
        for value in [key as Any, configuration] {
            var dumped = ""
            dump(value, to: &dumped)
            let mirrored = Mirror(reflecting: key).children.map { "\($0.label ?? ""): \($0.value)" }
            for text in [dumped, String(describing: value), String(reflecting: value)] + mirrored {
                #expect(!text.contains("MOCKLEAK"))
            }
        }
        #expect(String(describing: key).contains("tenant-a"))
    }
}
