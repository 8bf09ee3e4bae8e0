extension CallOptions {
    private enum TenantKey: CallOptionKey {
        typealias Value = String
    }

    /// The tenant this call is made for, as you name it (a customer, a team, a user id), so that
    /// ``SpendBudget``s scoped ``SpendBudget/Scope/tenant(_:)`` or ``SpendBudget/Scope/everyTenant``
    /// count and cap it. Sent nowhere: the provider never sees it.
    ///
    /// ```swift
    /// var options = CallOptions()
    /// options.tenant = "acme"
    /// ```
    public var tenant: String? {
        get { self[TenantKey.self] }
        set { self[TenantKey.self] = newValue }
    }
}
