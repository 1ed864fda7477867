// SPDX-License-Identifier: MIT
// Test-only plain ERC-20 (6 decimals, no EIP-3009, no EIP-2612): the kind of token the x402 exact
// scheme's Permit2 transfer method exists for. Never deploy anywhere but a local test chain: anyone can mint.
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

contract TestPlainERC20 is ERC20 {
    constructor() ERC20("Plain Token", "PLAIN") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
