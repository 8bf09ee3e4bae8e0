import Synchronization

/// Keeps every attempt within the client's ``SpendBudget``s: reserves the attempt's worst case on
/// each budget that applies before it is sent (or refuses it with
/// ``SluiceError/Code/budgetExceeded`` and a `budget_exceeded` event), then settles:
///
/// - a 2xx answer settles when the call's ``ClientContext/usage`` completes, to what the usage cost
///   (to the reservation when the provider reported no usage); a body that ends otherwise first (a
///   stream cut, a dropped reply) settles with the usage seen so far, else the reservation;
/// - a non-2xx answer, or an error thrown before one (a transport failure, a cancellation), releases
///   the reservation: nothing is counted.
///
/// Each reservation is settled exactly once. It sits inside the rate limiter, which chooses the key
/// (``ClientContext/keyID``) that per-key budgets count.
struct SpendBudgetMiddleware: ClientMiddleware {
    let ledger: SpendBudgetLedger

    nonisolated(nonsending) func intercept(
        _ request: ClientRequest,
        context: ClientContext,
        next: Next
    ) async throws -> ClientResponse {
        let reservation: SpendBudgetLedger.Reservation?
        do {
            reservation = try await ledger.reserve(
                model: context.model, estimate: context.tokenEstimate, key: context.keyID,
                tenant: context.options.tenant)
        } catch let error as BudgetRefusal {
            context.events.emit(.budgetExceeded, context) { event in
                event.reason = error.budget.name
                event.text = error.instance
                event.error = error.error
                event.tokens = context.tokenEstimate.total
            }
            var refusal = error.error
            refusal.neverSent = true
            throw refusal
        } catch var failure as SluiceError {
            // The store could not answer (Redis lost, failing closed): nothing was sent either.
            failure.neverSent = true
            throw failure
        }
        guard let reservation else { return try await next(request, context) }
        let settler = BudgetSettler(ledger: ledger, reservation: reservation)
        let response: ClientResponse
        do {
            response = try await next(request, context)
        } catch {
            settler.settle(nil, charge: false)
            throw error
        }
        guard (200..<300).contains(response.status) else {
            settler.settle(nil, charge: false)
            return response
        }
        context.usage.onComplete { usage in settler.settle(usage, charge: true) }
        response.body.onTermination { termination in
            if case .finished = termination { return }
            settler.settle(context.usage.latest, charge: true)
        }
        return response
    }
}

/// Settles one budget reservation exactly once, from whichever comes first.
final class BudgetSettler: Sendable {
    private let ledger: SpendBudgetLedger
    private let reservation: SpendBudgetLedger.Reservation
    private let done = Atomic<Bool>(false)

    init(ledger: SpendBudgetLedger, reservation: SpendBudgetLedger.Reservation) {
        self.ledger = ledger
        self.reservation = reservation
    }

    /// Charges `usage` (the reservation when `nil`) or releases (`charge: false`), the first time only.
    func settle(_ usage: Usage?, charge: Bool) {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        ledger.settle(reservation, usage: usage, charge: charge)
    }
}
