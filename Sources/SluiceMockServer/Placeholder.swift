public enum SluiceMockServerPlaceholder {}
