def test_accept_reads_as_resolving_when_there_is_no_response_to_accept() -> None:
    from api.templating import action_label

    assert action_label("accept", "response_received") == "Accept the response"
    assert action_label("accept", "informal") == "Mark as resolved"
    assert action_label("accept", "awaiting_iro_decision") == "Mark as resolved"
    assert action_label("withdraw", "informal") == "Withdraw"
