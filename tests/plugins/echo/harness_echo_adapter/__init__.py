"""An adapter from outside the harness: it answers with the item's gold query inside a code fence."""

from __future__ import annotations

from pydantic import Field

from harness.adapters.base import Adapter, AdapterOptions, Generation


class EchoOptions(AdapterOptions):
    fence: str = Field("cypher", description="the language tag of the code fence around the answer")


class EchoAdapter(Adapter):
    name = "echo"
    Options = EchoOptions
    needs = "nothing (a test plugin)"

    def generate(self, item):
        return Generation(output=f"Here it is:\n```{self.options.fence}\n{item.cypher}\n```\n", gen_ms=0.0)
