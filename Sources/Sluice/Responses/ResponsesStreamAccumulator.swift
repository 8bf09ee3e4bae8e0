/// Builds a ``ResponsesResponse`` from stream events: the response of the terminal event when one
/// arrived, else the items and text received so far.
///
/// Items are kept in the order they began, matched by output index (a hostile index costs nothing:
/// nothing is allocated by index).
struct ResponsesStreamAccumulator: Sendable {
    private(set) var response = ResponsesResponse(status: .inProgress)
    /// The position in ``response``'s output of the item at each output index.
    private var positions: [Int: Int] = [:]
    private(set) var eventCount = 0
    private var finished = false

    init(requestID: String?, responseHead: HTTPResponseHead? = nil) {
        response.requestID = requestID
        response.responseHead = responseHead
    }

    mutating func apply(_ event: ResponsesStreamEvent) {
        eventCount += 1
        if finished { return }
        switch event {
        case .created(let started), .inProgress(let started):
            response.id = started.id
            response.model = started.model
            response.status = started.status
            response.createdAt = started.createdAt
        case .outputItemAdded(let index, let item), .outputItemDone(let index, let item):
            if let position = positions[index] {
                response.output[position] = item
            } else {
                positions[index] = response.output.count
                response.output.append(item)
            }
        case .outputTextDelta(let index, let part, let delta):
            update(index) { item in
                guard case .message(var message) = item else { return }
                // Parts are appended in order; a part index past the end starts a new part.
                if part >= 0, part < message.parts.count {
                    message.parts[part] += delta
                } else {
                    message.parts.append(delta)
                }
                item = .message(message)
            }
        case .functionCallArgumentsDelta(let index, let delta):
            update(index) { item in
                guard case .functionCall(var call) = item else { return }
                call.arguments += delta
                item = .functionCall(call)
            }
        case .functionCallArgumentsDone(let index, let arguments):
            update(index) { item in
                guard case .functionCall(var call) = item else { return }
                call.arguments = arguments
                item = .functionCall(call)
            }
        case .reasoningSummaryDelta(let index, let part, let delta):
            update(index) { item in
                guard case .reasoning(var reasoning) = item else { return }
                if part >= 0, part < reasoning.summary.count {
                    reasoning.summary[part] += delta
                } else {
                    reasoning.summary.append(delta)
                }
                item = .reasoning(reasoning)
            }
        case .outputTextDone, .completed, .incomplete, .failed:
            if var final = event.finalResponse {
                final.requestID = final.requestID ?? response.requestID
                final.responseHead = final.responseHead ?? response.responseHead
                if final.output.isEmpty { final.output = response.output }
                response = final
                finished = true
            }
        }
    }

    private mutating func update(_ index: Int, _ change: (inout ResponsesOutputItem) -> Void) {
        guard let position = positions[index] else { return }
        change(&response.output[position])
    }
}
