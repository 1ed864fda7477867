// SPDX-License-Identifier: MIT
// Test-only ERC-20 (6 decimals) with EIP-2612 permit (OpenZeppelin's ERC20Permit: EIP-712 domain
// {name: "Permit Token", version: "1"}) and no EIP-3009: the kind of token the x402 eip2612GasSponsoring
// extension serves. Never deploy anywhere but a local test chain: anyone can mint.
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

contract TestPermitERC20 is ERC20, ERC20Permit {
    constructor() ERC20("Permit Token", "PERMIT") ERC20Permit("Permit Token") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
