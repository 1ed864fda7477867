// SPDX-License-Identifier: MIT
// A one-owner smart-contract wallet for the tests, signing as ERC-1271 wallets (Coinbase Smart
// Wallet, Safe) do: with a format of its own that no ecrecover reads. Here: one kind byte (0x01)
// then the owner's 65-byte ECDSA signature of the hash, 66 bytes in all.
pragma solidity ^0.8.20;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

contract TestSmartWallet is IERC1271 {
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 66 || signature[0] != 0x01) return 0xffffffff;
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(hash, signature[1:]);
        if (error != ECDSA.RecoverError.NoError || signer != owner) return 0xffffffff;
        return IERC1271.isValidSignature.selector;
    }
}
