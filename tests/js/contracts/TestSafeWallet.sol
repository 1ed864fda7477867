// SPDX-License-Identifier: MIT
// A one-owner wallet for the tests that signs as a one-owner Safe does: 65 bytes, its owner's ECDSA
// signature, but of a hash bound to the wallet (a Safe signs its SafeMessage), so no ecrecover of the
// payment's own hash finds the wallet, nor its owner. Only isValidSignature reads it.
pragma solidity ^0.8.20;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

contract TestSafeWallet is IERC1271 {
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        bytes32 message = keccak256(abi.encode(hash, address(this)));
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(message, signature);
        if (error != ECDSA.RecoverError.NoError || signer != owner) return 0xffffffff;
        return IERC1271.isValidSignature.selector;
    }
}
